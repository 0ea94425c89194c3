// The alert inbox: open and acknowledged alerts, acknowledge / resolve with a note.
import { loadCaseload } from "./caseload.js";
import { openClient } from "./client.js";
import { h, kindLabel, severityBadge, timeElement } from "./dom.js";
import { $, announce, api, state } from "./state.js";

export async function loadAlerts() {
  const [open, acknowledged] = await Promise.all([
    api("/api/alerts?state=open"), api("/api/alerts?state=acknowledged")]);
  const fresh = state.known ? open.alerts.filter((a) => !state.known.has(a.alert_id)) : [];
  state.alerts = { open: open.alerts, acknowledged: acknowledged.alerts };
  state.known = state.known || new Set();
  for (const a of [...open.alerts, ...acknowledged.alerts]) state.known.add(a.alert_id);
  renderAlerts(new Set(fresh.map((a) => a.alert_id)));
}

export function renderAlerts(fresh = new Set()) {
  for (const name of ["open", "acknowledged"]) {
    $(`count-${name}`).textContent = state.alerts[name].length;
    $(`tab-${name}`).setAttribute("aria-selected", String(state.tab === name));
    $(`tab-${name}`).tabIndex = state.tab === name ? 0 : -1;
  }
  const open = state.alerts.open.length;
  document.title = open ? `(${open}) Rapport · therapist dashboard` : "Rapport · therapist dashboard";
  const list = state.alerts[state.tab];
  const typingIn = document.activeElement?.closest?.("#alerts form") ? document.activeElement.id : null;
  $("alerts").replaceChildren(...list.map((a) => alertCard(a, fresh.has(a.alert_id))));
  $("alerts-empty").hidden = list.length > 0;
  if (typingIn && $(typingIn)) $(typingIn).focus(); // a live refresh must not take the note away mid-sentence
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
      alert.escalated_at ? " · escalated" : null,
      alert.delivery === "digest" ? " · in the daily digest, not pushed" : null));
  const actions = h("div", { class: "actions" });
  if (alert.state === "open") actions.append(actionButton(card, alert, "acknowledge", "Acknowledge"));
  actions.append(actionButton(card, alert, "resolve", "Resolve…"));
  card.append(actions);
  const draft = drafts.get(alert.alert_id);
  if (draft && (draft.step === "resolve" || alert.state === "open")) showActionForm(card, alert, draft.step, draft.note);
  return card;
}

function actionButton(card, alert, step, label) {
  return h("button", { type: "button", class: step === "acknowledge" ? "primary" : "", "data-action": step,
    onclick: () => showActionForm(card, alert, step) }, label);
}

// Notes being written, by alert id: re-rendering the inbox keeps them.
const drafts = new Map();

function showActionForm(card, alert, step, note = "") {
  card.querySelector("form")?.remove();
  drafts.set(alert.alert_id, { step, note });
  const noteId = `note-${alert.alert_id}-${step}`;
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const confirm = h("button", { type: "submit", class: "primary", "data-confirm": step },
    step === "acknowledge" ? "Confirm acknowledge" : "Confirm resolve");
  const form = h("form", {},
    h("label", { for: noteId }, step === "acknowledge" ? "Note (optional): what you are doing" : "Resolution note"),
    h("textarea", { id: noteId, name: "note", maxlength: "2000",
      oninput: (event) => drafts.set(alert.alert_id, { step, note: event.target.value }) }),
    h("div", { class: "actions" }, confirm,
      h("button", { type: "button", class: "quiet", onclick: () => { drafts.delete(alert.alert_id); form.remove(); } },
        "Cancel")), error);
  form.elements.note.value = note;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    confirm.disabled = true;
    try {
      const note = form.elements.note.value.trim() || null;
      await api(`/api/alerts/${alert.alert_id}/${step}`, { method: "POST", body: JSON.stringify({ note }) });
      drafts.delete(alert.alert_id);
      announce(`Alert ${step === "acknowledge" ? "acknowledged" : "resolved"}`);
      await Promise.all([loadAlerts(), loadCaseload()]);
    } catch (err) {
      error.hidden = false;
      error.textContent = err.status === 409 ? `Already changed by a colleague: ${err.message}` : err.message;
      confirm.disabled = false;
      if (err.status === 409) {
        announce(error.textContent);
        if (step === "acknowledge") drafts.delete(alert.alert_id);
        loadAlerts();
      }
    }
  });
  card.append(form);
  if (!note) form.elements.note.focus();
}
