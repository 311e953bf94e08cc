// Admin pages: repaint connector pills, online badges and fleet jobs' progress as fleet events arrive on
// /ws/dashboard.
(function () {
  "use strict";

  function start() {
    if (!document.querySelector("[data-live-connector], [data-live-charger], [data-live-fleet-job]")) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    let backoff = 1000;

    function apply(event) {
      if (event.kind === "connector") {
        // OCPP 2.0.1 numbers connectors within EVSEs; a 1.6 connector has no evseId.
        const place = event.evseId == null ? `${event.connectorId}` : `${event.evseId}/${event.connectorId}`;
        const key = `${event.chargerId}/${place}`;
        for (const pill of document.querySelectorAll(`[data-live-connector="${key}"]`)) {
          pill.className = `cs-pill cs-status-${event.status || "Unknown"}`;
          pill.textContent = `${pill.dataset.label || ""}${event.status || "Unknown"}`;
          pill.title = event.status;
        }
      } else if (event.kind === "fleetJob") {
        const settled = event.done + event.failed;
        for (const bar of document.querySelectorAll(`[data-live-fleet-job="${event.jobId}"]`)) {
          // Targets finish on several workers: an event may overtake a later one; counts only grow.
          if (settled < Number(bar.dataset.settled) && event.status !== "finished") continue;
          bar.dataset.settled = settled;
          bar.dataset.status = event.status;
          const progress = bar.querySelector("progress");
          progress.max = Math.max(event.total, 1);
          progress.value = settled;
          bar.querySelector(".cs-progress-text").textContent =
            `${settled} of ${event.total} (${event.done} answered, ${event.failed} failed)`;
        }
      } else if (event.kind === "presence") {
        const state = event.online ? "online" : "offline";
        for (const badge of document.querySelectorAll(`[data-live-charger="${event.chargerId}"]`)) {
          badge.className = `cs-badge cs-${state}`;
          badge.textContent = state;
        }
        // Offline, its connectors' last statuses no longer hold: grey until it speaks again.
        for (const pill of document.querySelectorAll(`[data-live-connector^="${event.chargerId}/"]`)) {
          pill.classList.toggle("cs-stale", !event.online);
        }
      }
    }

    function connect() {
      const socket = new WebSocket(`${scheme}://${location.host}/ws/dashboard`);
      let ping = null;
      socket.onopen = () => {
        backoff = 1000;
        document.documentElement.dataset.live = "open";
        ping = setInterval(() => socket.send(JSON.stringify({type: "ping"})), 60000);
      };
      socket.onmessage = (message) => apply(JSON.parse(message.data));
      socket.onclose = () => {
        clearInterval(ping);
        document.documentElement.dataset.live = "closed";
        setTimeout(connect, backoff);
        backoff = Math.min(backoff * 2, 30000);
      };
    }
    connect();
  }

  // Open sessions' figures (data-live-session, data-figure): fetched again every few seconds; elapsed time ticks.
  const SESSIONS_URL = "/dashboard/sessions/";
  const SESSION_POLL_MS = 5000;

  function followSessions() {
    const figures = () => document.querySelectorAll("[data-live-session]");
    if (!figures().length) return;
    let fetchedAt = Date.now();

    async function refresh() {
      const ids = [...new Set([...figures()].map((node) => node.dataset.liveSession))];
      try {
        const response = await fetch(`${SESSIONS_URL}?ids=${ids.join(",")}`,
          {credentials: "same-origin", headers: {Accept: "application/json"}});
        if (!response.ok) return;
        const sessions = (await response.json()).sessions;
        fetchedAt = Date.now();
        for (const node of figures()) {
          const session = sessions[node.dataset.liveSession];
          if (!session) continue;
          node.dataset.seconds = session.elapsedSeconds;
          if (node.dataset.figure !== "elapsed" || !session.open) node.textContent = session[node.dataset.figure];
        }
      } catch (error) {
        // The next round tries again.
      }
    }

    function tick() {
      for (const node of figures()) {
        if (node.dataset.figure !== "elapsed" || node.dataset.seconds === "") continue;
        const seconds = Number(node.dataset.seconds) + Math.floor((Date.now() - fetchedAt) / 1000);
        const pad = (n) => String(n).padStart(2, "0");
        node.textContent = `${Math.floor(seconds / 3600)}:${pad(Math.floor(seconds % 3600 / 60))}:${pad(seconds % 60)}`;
      }
    }

    setInterval(refresh, SESSION_POLL_MS);
    setInterval(tick, 1000);
    document.documentElement.dataset.liveSessions = "following";
  }

  function begin() {
    start();
    followSessions();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", begin);
  else begin();
})();
