// The dashboard page: alert inbox, caseload, one client's charts and timeline, kept live over Server-Sent Events.
import { loadCaseload } from "./caseload.js";
import { loadClient } from "./client.js";
import { ago, kindLabel } from "./dom.js";
import { loadAlerts, renderAlerts } from "./inbox.js";
import { connectLive } from "./live.js";
import { $, announce, api, state } from "./state.js";

// Check-ins arrive all day: refresh the caseload (an audited read) at most every few seconds for them.
const CASELOAD_REFRESH_MS = 5000;
const TIMELINE_LAG_MS = 2000;
let caseloadTimer = null;

function refreshCaseloadSoon() {
  if (caseloadTimer) return;
  caseloadTimer = setTimeout(() => { caseloadTimer = null; loadCaseload(); }, CASELOAD_REFRESH_MS);
}

function onLiveBatch({ kinds, clients, notify }) {
  if (kinds.has("alert")) loadAlerts();
  const news = notify.map((step) => {
    const name = state.caseload.find((c) => c.client_id === step.client_id)?.display_name || "a client";
    return `${step.transition === "escalated" ? "Escalated" : "New"} ${step.severity} alert: ${kindLabel(step.kind)} for ${name}`;
  });
  if (news.length) announce(news.join(". "));
  if (kinds.has("alert")) loadCaseload(); else refreshCaseloadSoon();
  // the timeline writer stores a check-in shortly after the stream announced it
  if (clients.has(state.clientId)) setTimeout(loadClient, kinds.has("alert") ? 0 : TIMELINE_LAG_MS);
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
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  for (const tab of tabs) {
    tab.addEventListener("click", () => { state.tab = tab.dataset.state; renderAlerts(); });
    tab.addEventListener("keydown", (event) => { // arrow keys move between tabs, as in any tab list
      if (!["ArrowLeft", "ArrowRight"].includes(event.key)) return;
      const next = tabs[(tabs.indexOf(tab) + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      next.focus();
      next.click();
    });
  }
  $("client-close").addEventListener("click", () => { state.clientId = null; $("client").hidden = true; });
  connectLive({ me: state.me, onBatch: onLiveBatch, onStatus: setLiveStatus,
    onOpen: () => Promise.all([loadAlerts(), loadCaseload(), loadClient()]),
    stillSignedIn: () => api("/api/me").then(() => true, (err) => err.status !== 401) });
  setInterval(() => document.querySelectorAll("time[datetime]").forEach((t) => {
    if (!t.closest(".timeline")) t.textContent = ago(t.getAttribute("datetime"));
  }), 60000);
}

start();
