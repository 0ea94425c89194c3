// The dashboard page: alert inbox, caseload, one client's charts and timeline, kept live over Server-Sent Events.
import { SCALES, lineChart } from "./charts.js";
import { ago, formatDateTime, h, kindLabel, severityBadge, timeElement } from "./dom.js";
import { connectLive } from "./live.js";

const state = { tab: "open", alerts: { open: [], acknowledged: [] }, caseload: [], clientId: null, known: null };
const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", headers: { "Content-Type": "application/json" }, ...options });
  if (response.status === 401) throw Object.assign(new Error("signed out"), { status: 401 });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.detail || response.statusText), { status: response.status });
  return body;
}

function announce(text) {
  $("announcer").textContent = "";
  setTimeout(() => { $("announcer").textContent = text; }, 50);
}

// ---- alert inbox
async function loadAlerts() {
  const [open, acknowledged] = await Promise.all([
    api("/api/alerts?state=open"), api("/api/alerts?state=acknowledged")]);
  const fresh = state.known ? open.alerts.filter((a) => !state.known.has(a.alert_id)) : [];
  state.alerts = { open: open.alerts, acknowledged: acknowledged.alerts };
  state.known = state.known || new Set();
  for (const a of [...open.alerts, ...acknowledged.alerts]) state.known.add(a.alert_id);
  renderAlerts(new Set(fresh.map((a) => a.alert_id)));
}

function renderAlerts(fresh = new Set()) {
  for (const name of ["open", "acknowledged"]) {
    $(`count-${name}`).textContent = state.alerts[name].length;
    $(`tab-${name}`).setAttribute("aria-selected", String(state.tab === name));
  }
  const open = state.alerts.open.length;
  document.title = open ? `(${open}) Rapport · therapist dashboard` : "Rapport · therapist dashboard";
  const list = state.alerts[state.tab];
  $("alerts").replaceChildren(...list.map((a) => alertCard(a, fresh.has(a.alert_id))));
  $("alerts-empty").hidden = list.length > 0;
}

function alertCard(alert, fresh) {
  const card = h("li", { class: `alert${fresh ? " fresh" : ""}`, "data-severity": alert.severity,
    "data-alert-id": alert.alert_id, "data-state": alert.state },
    h("div", { class: "line" }, severityBadge(alert.severity),
      h("span", { class: "kind" }, kindLabel(alert.kind)), "·",
      h("button", { class: "link client-name", type: "button", onclick: () => openClient(alert.client_id) },
        alert.client_name || alert.client_id.slice(0, 8))),
    h("p", { class: "summary" }, alert.summary),
    h("p", { class: "meta" }, "Observed ", timeElement(alert.observed_at),
      alert.acknowledged_at ? [" · acknowledged ", timeElement(alert.acknowledged_at), ` by ${
        alert.acknowledged_by === state.me ? "you" : alert.acknowledged_by_name || "a colleague"}`] : null,
      alert.escalated_at ? " · escalated" : null));
  const actions = h("div", { class: "actions" });
  if (alert.state === "open") actions.append(actionButton(card, alert, "acknowledge", "Acknowledge"));
  actions.append(actionButton(card, alert, "resolve", "Resolve…"));
  card.append(actions);
  return card;
}

function actionButton(card, alert, step, label) {
  return h("button", { type: "button", class: step === "acknowledge" ? "primary" : "", "data-action": step,
    onclick: () => showActionForm(card, alert, step) }, label);
}

function showActionForm(card, alert, step) {
  card.querySelector("form")?.remove();
  const noteId = `note-${alert.alert_id}-${step}`;
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const confirm = h("button", { type: "submit", class: "primary", "data-confirm": step },
    step === "acknowledge" ? "Confirm acknowledge" : "Confirm resolve");
  const form = h("form", {},
    h("label", { for: noteId }, step === "acknowledge" ? "Note (optional): what you are doing" : "Resolution note"),
    h("textarea", { id: noteId, name: "note", maxlength: "2000" }),
    h("div", { class: "actions" }, confirm,
      h("button", { type: "button", class: "quiet", onclick: () => form.remove() }, "Cancel")), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    confirm.disabled = true;
    try {
      const note = form.elements.note.value.trim() || null;
      await api(`/api/alerts/${alert.alert_id}/${step}`, { method: "POST", body: JSON.stringify({ note }) });
      announce(`Alert ${step === "acknowledge" ? "acknowledged" : "resolved"}`);
      await Promise.all([loadAlerts(), loadCaseload()]);
    } catch (err) {
      error.hidden = false;
      error.textContent = err.status === 409 ? `Already changed by a colleague: ${err.message}` : err.message;
      confirm.disabled = false;
      if (err.status === 409) loadAlerts();
    }
  });
  card.append(form);
  form.elements.note.focus();
}

// ---- caseload
async function loadCaseload() {
  state.caseload = (await api("/api/caseload")).clients;
  const rows = state.caseload.map((c) => h("tr", { class: c.client_id === state.clientId ? "selected" : "",
      "data-client-id": c.client_id },
    h("th", { scope: "row" }, h("button", { class: "link", type: "button", onclick: () => openClient(c.client_id) },
      c.display_name)),
    h("td", {}, c.open_alerts ? [severityBadge(["critical", "high", "medium", "low", "info"][c.worst_rank] || "info"),
      ` ${c.open_alerts}`] : "—"),
    ...["brs", "mood", "srs", "phq9"].map((i) => scoreCell(c.scores[i], i === "brs" || i === "srs" ? 1 : 0)),
    h("td", {}, timeElement(c.last_checkin_at))));
  $("caseload").tBodies[0].replaceChildren(...rows);
  $("caseload-empty").hidden = rows.length > 0;
}

function scoreCell(score, decimals) {
  if (!score) return h("td", {}, "—");
  const arrow = { improving: "▲ improving", worsening: "▼ worsening", steady: "● steady" }[score.trend];
  return h("td", { title: `as of ${formatDateTime(score.at)}` }, score.value.toFixed(decimals),
    arrow ? h("span", { class: `trend ${score.trend}` }, arrow) : null);
}

// ---- one client: charts and timeline
async function openClient(clientId) {
  state.clientId = clientId;
  const entry = state.caseload.find((c) => c.client_id === clientId);
  $("client-title").textContent = entry ? entry.display_name : "Client";
  $("client").hidden = false;
  for (const row of $("caseload").tBodies[0].rows) row.classList.toggle("selected", row.dataset.clientId === clientId);
  await loadClient();
  $("client").scrollIntoView({ behavior: "smooth", block: "start" });
}

async function loadClient() {
  const clientId = state.clientId;
  if (!clientId) return;
  const to = new Date(), from = new Date(to.getTime() - 90 * 86400000);
  const window = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
  try {
    const [series, timeline] = await Promise.all([
      Promise.all(Object.keys(SCALES).map((i) => api(`/api/clients/${clientId}/series?instrument=${i}&${window}`))),
      api(`/api/clients/${clientId}/timeline?limit=50`)]);
    if (clientId !== state.clientId) return;
    $("charts").replaceChildren(...series.map((s) => chartFigure(s, from, to)));
    $("timeline").replaceChildren(...timeline.items.map(timelineItem));
  } catch (err) {
    $("charts").replaceChildren(h("p", { class: "empty" }, `The timeline is not available: ${err.message}`));
    $("timeline").replaceChildren();
  }
}

function chartFigure(series, from, to) {
  const scale = SCALES[series.instrument];
  const points = series.points.map((p) => ({ t: new Date(`${p.bucket}T12:00:00`), v: Number(p.mean) }));
  const markers = series.signals.map((m) => ({ t: new Date(m.observed_at), kind: m.kind, severity: m.severity,
    summary: m.summary }));
  return h("figure", { class: "chart", "data-instrument": series.instrument },
    h("h4", {}, scale.title), lineChart({ title: scale.title, points, markers, scale, from, to }));
}

function timelineItem(item) {
  const d = item.data;
  let text;
  if (item.kind === "checkin") {
    const scores = Object.entries(d.scores || {}).filter(([, s]) => s.value !== null)
      .map(([name, s]) => `${name.toUpperCase()} ${Number(s.value).toFixed(1)}`).join(", ");
    text = [`Check-in${d.help_requested ? " — asked for support" : ""}${scores ? `: ${scores}` : ""}`,
      d.note ? h("span", { class: "note" }, d.note) : null];
  } else if (item.kind === "signal") {
    text = [severityBadge(d.severity), " ", h("span", { title: kindLabel(d.signal_kind) }, d.summary)];
  } else {
    const who = d.actor === "system" ? "" : d.actor === state.me ? " by you" : " by a colleague";
    text = [`Alert ${d.transition}${who}`, d.note ? h("span", { class: "note" }, d.note) : null];
  }
  return h("li", { "data-kind": item.kind }, h("span", { class: "when" }, formatDateTime(item.at)), text);
}

// ---- live updates
function onLiveBatch({ kinds, clients, notify }) {
  if (kinds.has("alert")) loadAlerts();
  const news = notify.map((step) => {
    const name = state.caseload.find((c) => c.client_id === step.client_id)?.display_name || "a client";
    return `${step.transition === "escalated" ? "Escalated" : "New"} ${step.severity} alert: ${kindLabel(step.kind)} for ${name}`;
  });
  if (news.length) announce(news.join(". "));
  loadCaseload();
  if (clients.has(state.clientId)) loadClient();
}

function setLiveStatus(status) {
  const labels = { live: "Live", connecting: "Reconnecting…", offline: "Offline — retrying" };
  $("live-status").dataset.state = status;
  $("live-status").textContent = labels[status];
}

async function start() {
  let me;
  try {
    me = await api("/api/me");
  } catch (err) {
    if (err.status !== 401) throw err;
    $("signed-out").hidden = false;
    $("live-status").hidden = true;
    return;
  }
  state.me = me.therapist_id;
  $("who").textContent = `Signed in as ${me.display_name || me.therapist_id}`;
  $("logout").hidden = false;
  $("board").hidden = false;
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    tab.addEventListener("click", () => { state.tab = tab.dataset.state; renderAlerts(); });
  }
  $("client-close").addEventListener("click", () => { state.clientId = null; $("client").hidden = true; });
  connectLive({ me: state.me, onBatch: onLiveBatch, onStatus: setLiveStatus,
    onOpen: () => Promise.all([loadAlerts(), loadCaseload(), loadClient()]) });
  setInterval(() => document.querySelectorAll("time[datetime]").forEach((t) => {
    if (!t.closest(".timeline")) t.textContent = ago(t.getAttribute("datetime"));
  }), 60000);
}

start();
