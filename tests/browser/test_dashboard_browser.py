"""A therapist's open dashboard shows a risk check-in's alert without reload, and acknowledging it is stored.

Runs every service as its own process (the `system` fixture) and drives Debian's headless chromium.
"""

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert, select

from services.common.auth import issue_dev_token
from services.common.db import make_engine
from services.common.tables import access_audit, alerts, care_team_members, clients, scores, signals, therapists

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser, pytest.mark.e2e, pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (make browser-deps)"),
]


async def seed_history(engine, therapist_id: uuid.UUID, colleague_id: uuid.UUID, client_id: uuid.UUID) -> None:
    """A client with a primary therapist and a colleague, and eight weeks of scores for the charts to draw."""
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(insert(therapists), [{"therapist_id": therapist_id, "display_name": "Dr. Browser Test"},
                                                {"therapist_id": colleague_id, "display_name": "Sam Colleague"}])
        await conn.execute(insert(clients).values(client_id=client_id, display_name="Robin K.", timezone="UTC"))
        await conn.execute(insert(care_team_members), [
            {"client_id": client_id, "therapist_id": therapist_id, "role": "primary"},
            {"client_id": client_id, "therapist_id": colleague_id, "role": "member"}])
        rows = []
        for day in range(56, 0, -1):
            at = now - timedelta(days=day, hours=3)
            rows.append(score_row(client_id, at, "mood", 7 - (day < 14) * 2 - (day % 4 == 0) + (day % 6 == 0)))
            if day % 7 == 0:
                rows.append(score_row(client_id, at, "brs", 4.0 - (day < 21) * 0.9))
                rows.append(score_row(client_id, at, "srs", 38.5 - (day < 14) * 5))
        await conn.execute(insert(scores), rows)
        await conn.execute(insert(signals).values(
            signal_id=uuid.uuid4(), client_id=client_id, kind="resilience.reliable_drop", severity="high",
            observed_at=now - timedelta(days=14, hours=3), detected_at=now - timedelta(days=14),
            summary="BRS fell from a baseline of 4.0 to 3.1"))


def score_row(client_id, at, instrument, value) -> dict:
    return {"event_id": uuid.uuid4(), "occurred_at": at, "instrument": instrument, "client_id": client_id,
            "local_date": at.date(), "value": value, "items_answered": 1}


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def signed_in_page(browser, dashboard: str, therapist_id: uuid.UUID, client_id: uuid.UUID):
    """A fresh browser context (own cookies) with the dashboard open and live."""
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and page.errors.append(
        f"{message.text} {message.location.get('url', '')}"))
    await page.goto(f"{dashboard}/login?token={issue_dev_token(str(therapist_id), 'therapist')}")
    await page.wait_for_selector('#live-status[data-state="live"]', timeout=20_000)
    await page.wait_for_selector(f'#caseload tr[data-client-id="{client_id}"]')
    await page.evaluate("window.__sameDocument = true")
    assert await page.locator("#alerts .alert").count() == 0
    return page


async def test_alert_appears_live_and_acknowledging_it_is_stored(system, database_settings, browser, artifacts):
    engine = make_engine(database_settings)
    therapist_id, colleague_id, client_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await seed_history(engine, therapist_id, colleague_id, client_id)
    dashboard = system.url("dashboard")
    page = await signed_in_page(browser, dashboard, therapist_id, client_id)
    colleague = await signed_in_page(browser, dashboard, colleague_id, client_id)
    try:

        checkin = {"client_id": str(client_id), "occurred_at": datetime.now(UTC).isoformat(), "timezone": "UTC",
                   "answers": [{"instrument": "phq9", "item": 9, "value": 2}, {"instrument": "mood", "item": 1, "value": 2}]}
        client_headers = {"Authorization": f"Bearer {issue_dev_token(str(client_id), 'client')}"}
        async with httpx.AsyncClient(base_url=system.url("gateway"), headers=client_headers, timeout=10) as gateway:
            accepted = await gateway.post("/v1/checkins", json=checkin)
        accepted_at = time.monotonic()
        assert accepted.status_code == 202, accepted.text

        card = page.locator('#alerts .alert[data-severity="critical"]')
        await card.wait_for(timeout=60_000)
        shown_after_s = time.monotonic() - accepted_at
        print(f"alert shown on the open page {shown_after_s:.2f} s after the gateway's 202")
        assert await page.evaluate("window.__sameDocument === true"), "the page must not have reloaded"
        assert "critical" in (await card.locator(".severity").inner_text()).lower()
        assert "Robin K." in await card.inner_text()

        # The colleague starts a resolution note; live refreshes of their inbox must keep it.
        colleague_card = colleague.locator('#alerts .alert[data-severity="critical"]')
        await colleague_card.wait_for(timeout=30_000)
        await colleague_card.locator('button[data-action="resolve"]').click()
        await colleague_card.locator("textarea").fill("draft: call back tonight")

        await card.locator('button[data-action="acknowledge"]').click()
        await card.locator("textarea").fill("Called Robin, safety plan reviewed")
        await card.locator('button[data-confirm="acknowledge"]').click()
        await page.wait_for_selector("#count-open:text-is('0')")
        await page.wait_for_selector("#count-acknowledged:text-is('1')")
        # The colleague's open page follows without reload, naming who acknowledged.
        await colleague.wait_for_selector("#count-open:text-is('0')")
        await colleague.locator("#tab-acknowledged").click()
        assert "by Dr. Browser Test" in await colleague.locator("#alerts .alert").inner_text()
        assert await colleague.locator("#alerts .alert textarea").input_value() == "draft: call back tonight"
        assert await colleague.evaluate("window.__sameDocument === true")

        async with engine.connect() as conn:
            alert = (await conn.execute(select(alerts).where(alerts.c.client_id == client_id))).one()
            actions = (await conn.execute(select(access_audit.c.action).where(
                access_audit.c.therapist_id == therapist_id, access_audit.c.client_id == client_id))).scalars().all()
        assert (alert.state, alert.acknowledged_by) == ("acknowledged", therapist_id)
        assert "alert.acknowledged" in actions

        await page.locator(f'#caseload tr[data-client-id="{client_id}"] button').click()
        await page.wait_for_selector('.chart[data-instrument="brs"] svg .marker')
        await page.wait_for_selector("#timeline li")
        await page.locator("#tab-acknowledged").click()
        await page.screenshot(path=str(artifacts / "dashboard-laptop.png"), full_page=True)
        await page.set_viewport_size({"width": 820, "height": 1180})
        await page.screenshot(path=str(artifacts / "dashboard-tablet.png"), full_page=True)

        resolving = page.locator("#alerts .alert").first
        await resolving.locator('button[data-action="resolve"]').click()
        await resolving.locator("textarea").fill("Crisis passed, plan in place")
        await resolving.locator('button[data-confirm="resolve"]').click()
        await page.wait_for_selector("#count-acknowledged:text-is('0')")
        async with engine.connect() as conn:
            resolved = (await conn.execute(select(alerts).where(alerts.c.client_id == client_id))).one()
        assert (resolved.state, resolved.resolved_by, resolved.resolution_note) == (
            "resolved", therapist_id, "Crisis passed, plan in place")
        assert page.errors == [] and colleague.errors == [], "the page ran without script or console errors"

        async with page.expect_navigation():
            await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_selector("#signed-out:not([hidden])")
        assert await page.locator("#board").is_hidden()
    finally:
        for open_page in (page, colleague):
            await open_page.context.close()
        await engine.dispose()
