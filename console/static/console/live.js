// Admin pages: repaint connector pills and online badges as fleet events arrive on /ws/dashboard.
(function () {
  "use strict";

  function start() {
    if (!document.querySelector("[data-live-connector], [data-live-charger]")) return;
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

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
