// Line charts as inline SVG: one score over time, with the client's signals marked.
import { formatDay, kindLabel } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 420, HEIGHT = 170, PAD = { left: 34, right: 10, top: 12, bottom: 24 };
const SEVERITY_COLOURS = { critical: "#a4161a", high: "#9a4a00", medium: "#6f5a00", low: "#1c4f91", info: "#3f5f4a" };

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  for (const child of children) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

// points: [{t: Date, v: number}], markers: [{t: Date, kind, severity, summary}], scale: {min, max, ticks, band?}
export function lineChart({ title, points, markers, scale, from, to }) {
  const x0 = from.getTime(), x1 = Math.max(to.getTime(), x0 + 1);
  const x = (t) => PAD.left + ((t.getTime() - x0) / (x1 - x0)) * (WIDTH - PAD.left - PAD.right);
  const y = (v) => PAD.top + (1 - (v - scale.min) / (scale.max - scale.min)) * (HEIGHT - PAD.top - PAD.bottom);
  const latest = points.length ? points[points.length - 1].v : null;
  const description = points.length
    ? `${title}: ${points.length} day(s) with scores, latest ${latest.toFixed(1)}; ${markers.length} signal(s) marked`
    : `${title}: no scores in this period`;
  const svg = s("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": description });
  svg.append(s("title", {}, description));
  if (scale.band) {
    svg.append(s("rect", { class: "band", x: PAD.left, width: WIDTH - PAD.left - PAD.right,
      y: y(scale.band[1]), height: Math.max(y(scale.band[0]) - y(scale.band[1]), 0) }));
  }
  for (const tick of scale.ticks) {
    svg.append(s("line", { class: "axis", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(tick), y2: y(tick) }));
    svg.append(s("text", { class: "tick", x: PAD.left - 6, y: y(tick) + 3, "text-anchor": "end" }, tick));
  }
  for (const [t, anchor] of [[from, "start"], [new Date((x0 + x1) / 2), "middle"], [to, "end"]]) {
    svg.append(s("text", { class: "tick", x: x(t), y: HEIGHT - 6, "text-anchor": anchor }, formatDay(t)));
  }
  for (const marker of markers) {
    const colour = SEVERITY_COLOURS[marker.severity] || "#5b6670";
    const mx = x(marker.t);
    const label = `${kindLabel(marker.kind)} (${marker.severity}), ${formatDay(marker.t)}: ${marker.summary}`;
    svg.append(s("g", { class: "marker", tabindex: "0", "aria-label": label },
      s("title", {}, label),
      s("line", { x1: mx, x2: mx, y1: PAD.top, y2: HEIGHT - PAD.bottom, stroke: colour }),
      s("path", { d: `M${mx - 5},${PAD.top - 1} L${mx + 5},${PAD.top - 1} L${mx},${PAD.top + 7} Z`, fill: colour })));
  }
  if (points.length) {
    const d = points.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
    svg.append(s("path", { class: "series", d }));
    for (const p of points) {
      svg.append(s("circle", { class: "point", cx: x(p.t), cy: y(p.v), r: 2.5 },
        s("title", {}, `${formatDay(p.t)}: ${p.v.toFixed(1)}`)));
    }
  }
  return svg;
}

export const SCALES = {
  brs: { title: "Resilience (BRS, 1–5)", min: 1, max: 5, ticks: [1, 2, 3, 4, 5], band: [1, 3] },
  mood: { title: "Mood (0–10)", min: 0, max: 10, ticks: [0, 5, 10] },
  srs: { title: "Session rating (SRS, 0–40)", min: 0, max: 40, ticks: [0, 20, 36, 40], band: [0, 36] },
};
