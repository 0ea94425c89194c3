// Small DOM and formatting helpers; text always goes in as text, never as HTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export const KIND_LABELS = {
  "risk.acute": "Acute risk",
  "risk.language": "Crisis language in a note",
  "resilience.reliable_drop": "Resilience dropped",
  "resilience.low": "Low resilience",
  "resilience.reliable_improvement": "Resilience improved",
  "mood.sustained_decline": "Mood declining",
  "alliance.rupture": "Possible alliance rupture",
  "engagement.missed_checkins": "Missed check-ins",
};

export const kindLabel = (kind) => KIND_LABELS[kind] || kind;

export function severityBadge(severity) {
  return h("span", { class: `severity ${severity}` }, severity);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dayMonth = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });

export const formatDateTime = (iso) => (iso ? dateTime.format(new Date(iso)) : "—");
export const formatDay = (date) => dayMonth.format(date);

export function ago(iso, now = Date.now()) {
  if (!iso) return "never";
  const minutes = Math.round((now - new Date(iso).getTime()) / 60000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export function timeElement(iso, text) {
  return h("time", { datetime: iso, title: formatDateTime(iso) }, text ?? ago(iso));
}
