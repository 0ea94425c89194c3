// One client: score charts over the last 90 days with signals marked, and the timeline.
import { SCALES, lineChart } from "./charts.js";
import { formatDateTime, h, kindLabel, severityBadge } from "./dom.js";
import { $, api, state } from "./state.js";

export async function openClient(clientId) {
  state.clientId = clientId;
  const entry = state.caseload.find((c) => c.client_id === clientId);
  $("client-title").textContent = entry ? entry.display_name : "Client";
  $("client").hidden = false;
  for (const row of $("caseload").tBodies[0].rows) row.classList.toggle("selected", row.dataset.clientId === clientId);
  await loadClient();
  $("client").scrollIntoView({ behavior: "smooth", block: "start" });
}

export async function loadClient() {
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
    $("timeline").replaceChildren(...(timeline.items.length ? timeline.items.map(timelineItem)
      : [h("li", { class: "empty" }, "No check-ins, signals or alert steps yet.")]));
    showOlderButton(clientId, timeline.next_cursor);
  } catch (err) {
    $("charts").replaceChildren(h("p", { class: "empty" }, `The timeline is not available: ${err.message}`));
    $("timeline").replaceChildren();
  }
}

function showOlderButton(clientId, cursor) {
  $("timeline-older").hidden = !cursor;
  $("timeline-older").onclick = async () => {
    const page = await api(`/api/clients/${clientId}/timeline?limit=50&cursor=${encodeURIComponent(cursor)}`);
    if (clientId !== state.clientId) return;
    $("timeline").append(...page.items.map(timelineItem));
    showOlderButton(clientId, page.next_cursor);
  };
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
    const goals = (d.goals || []).map((g) => `${g.goal_id} ${g.progress}/10`).join(", ");
    text = [`Check-in${d.help_requested ? " — asked for support" : ""}${scores ? `: ${scores}` : ""}`,
      goals ? h("span", { class: "goals" }, ` · goals: ${goals}`) : null,
      d.note ? h("span", { class: "note" }, d.note) : null];
  } else if (item.kind === "signal") {
    text = [severityBadge(d.severity), " ", h("span", { title: kindLabel(d.signal_kind) }, d.summary)];
  } else {
    const who = d.actor === "system" ? "" : d.actor === state.me ? " by you" : " by a colleague";
    text = [`Alert ${d.transition}${who}`, d.note ? h("span", { class: "note" }, d.note) : null];
  }
  return h("li", { "data-kind": item.kind }, h("span", { class: "when" }, formatDateTime(item.at)), text);
}
