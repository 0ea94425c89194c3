// The caseload table: the therapist's clients, most urgent first.
import { openClient } from "./client.js";
import { formatDateTime, h, severityBadge, timeElement } from "./dom.js";
import { $, api, state } from "./state.js";

export async function loadCaseload() {
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
