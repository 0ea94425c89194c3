// What the page knows, and how it talks to the API.
export const state = { me: null, tab: "open", alerts: { open: [], acknowledged: [] }, caseload: [], clientId: null,
  known: null };
export const $ = (id) => document.getElementById(id);

export async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", headers: { "Content-Type": "application/json" }, ...options });
  if (response.status === 401) {
    $("signed-out").hidden = false; // the sign-in expired: say so instead of failing quietly
    throw Object.assign(new Error("signed out"), { status: 401 });
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(describe(body.detail) || response.statusText), { status: response.status });
  return body;
}

export function announce(text) {
  $("announcer").textContent = "";
  setTimeout(() => { $("announcer").textContent = text; }, 50);
}

function describe(detail) {
  if (Array.isArray(detail)) return detail.map((e) => `${(e.loc || []).slice(1).join(".")}: ${e.msg}`).join("; ");
  return detail;
}
