// Server-Sent Events from /api/stream. The browser resumes with Last-Event-ID after a network drop; when the
// stream is closed for good (server restart, HTTP error) we reopen it ourselves with ?last_event_id=.
const RECONNECT_MS = 5000;

// A batch says which kinds arrived, for which clients, and whether an alert step was routed to this therapist
// (`recipients` of the alert event: the notifier's policy decides who is notified; the care team sees the data).
export function connectLive({ me, onBatch, onStatus, onOpen, stillSignedIn }) {
  const seen = new Set();
  let lastId = null, batch = null, timer = null;

  function flush() {
    const done = batch;
    batch = null;
    onBatch(done);
  }

  function open() {
    const source = new EventSource(lastId ? `/api/stream?last_event_id=${encodeURIComponent(lastId)}` : "/api/stream");
    source.addEventListener("open", () => {
      onStatus("live");
      onOpen(); // (re)load everything: covers whatever happened before this connection
    });
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.CLOSED) return onStatus("connecting");
      onStatus("offline");
      setTimeout(async () => { if (await stillSignedIn()) open(); }, RECONNECT_MS);
    });
    for (const kind of ["alert", "checkin"]) {
      source.addEventListener(kind, (message) => {
        lastId = message.lastEventId || lastId;
        const data = JSON.parse(message.data);
        if (seen.has(data.event_id)) return;
        seen.add(data.event_id);
        batch = batch || { kinds: new Set(), clients: new Set(), notify: [] };
        batch.kinds.add(kind);
        batch.clients.add(data.client_id);
        if (kind === "alert" && ["opened", "escalated"].includes(data.transition) && data.recipients.includes(me)) {
          batch.notify.push(data);
        }
        clearTimeout(timer); // a burst of events (say, a resume) becomes one refresh
        timer = setTimeout(flush, 50);
      });
    }
  }

  open();
}
