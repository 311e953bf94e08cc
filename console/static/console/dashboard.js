// The fleet dashboard: renders a snapshot, applies live events from /ws/dashboard,
// and refetches the snapshot (energy, faults) shortly after events settle.
(function () {
  "use strict";

  const main = document.getElementById("content-main");
  const dataUrl = main.dataset.dataUrl;
  const adminUrl = main.dataset.adminUrl;
  let fleet = JSON.parse(document.getElementById("fleet-snapshot").textContent);
  let byId = new Map();
  let refreshTimer = null;
  const siteFilter = document.getElementById("site-filter");
  const groupBySite = document.getElementById("group-by-site");
  // Power and energy come with the snapshot: read again this often while the page is open.
  const FIGURES_REFRESH_MS = 15000;

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children || []) node.appendChild(child);
    return node;
  }

  // OCPP 2.0.1 numbers connectors within EVSEs (evseId); a 1.6 connector has none (null).
  function connectorName(connector) {
    return connector.evseId == null ? String(connector.connectorId) : `${connector.evseId}/${connector.connectorId}`;
  }

  function sameConnector(connector, event) {
    return connector.connectorId === event.connectorId && (connector.evseId ?? null) === (event.evseId ?? null);
  }

  // 1.6 says so in the status; a 2.0.1 connector is just Occupied, its session says whether it charges.
  function isCharging(connector) {
    return connector.status === "Charging" || (connector.session || {}).chargingState === "Charging";
  }

  // "1:05:09" from seconds.
  function elapsed(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  }

  function tickElapsed() {
    for (const node of document.querySelectorAll("[data-started]")) {
      node.textContent = elapsed((Date.now() - Date.parse(node.dataset.started)) / 1000);
    }
  }

  // The vendor's own code, where the charger gave one, after OCPP's error code.
  function fault(item) {
    return [item.errorCode, item.vendorErrorCode].filter((x) => x && x !== "NoError").join(" · ");
  }

  function sessionFigures(session) {
    const kW = session.powerW == null ? "– kW" : `${(session.powerW / 1000).toFixed(1)} kW`;
    const kWh = session.energyWh == null ? "– kWh" : `${(session.energyWh / 1000).toFixed(2)} kWh`;
    return el("div", {class: "cs-figures"}, [
      el("span", {class: "cs-power", text: kW}),
      el("span", {class: "cs-energy", text: kWh}),
      el("span", {class: "cs-id-tag", text: session.idTag || "–"}),
      session.startTime ? el("span", {class: "cs-elapsed", "data-started": session.startTime,
                                      text: elapsed((Date.now() - Date.parse(session.startTime)) / 1000)})
                        : el("span", {class: "cs-elapsed", text: ""}),
    ]);
  }

  function connectorCell(charger, connector) {
    const status = connector.status || "Unknown";
    const session = connector.session;
    const problem = fault(connector);
    const title = `${charger.chargeBoxId} connector ${connectorName(connector)}: ${status}` +
      (problem ? ` (${problem})` : "") +
      (session ? `; session ${session.transactionId}${session.chargingState ? ` ${session.chargingState}` : ""}` : "");
    const children = [el("b", {text: connectorName(connector)}), el("span", {text: status})];
    if (problem) children.push(el("small", {class: "cs-fault-code", text: problem}));
    if (session) {
      children.push(el("small", {class: "cs-session", text: `⚡ ${session.chargingState || "session"}`}));
      children.push(sessionFigures(session));
    }
    return el("div", {
      class: `cs-connector cs-status-${status}` + (session ? " cs-in-session" : ""),
      "data-connector": `${charger.chargeBoxId}/${connectorName(connector)}`,
      "data-status": status,
      "data-session": session ? session.transactionId : "",
      "data-charging": String(isCharging(connector)),
      title: title,
    }, children);
  }

  function chargerTile(charger) {
    const state = charger.online ? "online" : "offline";
    const link = el("a", {href: `${adminUrl}${charger.id}/change/`, text: charger.chargeBoxId});
    const badge = el("span", {class: `cs-badge cs-${state}`, text: state});
    const cells = charger.connectors.length
      ? charger.connectors.map((c) => connectorCell(charger, c))
      : [el("span", {class: "cs-none", text: "no connector reported yet"})];
    return el("article", {
      class: `cs-charger cs-is-${state}`,
      "data-charger": charger.chargeBoxId,
      "data-online": String(charger.online),
    }, [
      el("header", {}, [link, badge]),
      el("div", {class: "cs-where", text: [charger.name, charger.location].filter(Boolean).join(" · ")}),
      el("div", {class: "cs-connectors"}, cells),
    ]);
  }

  // The chargers shown: all, or one site's ("none": those on no site).
  function shown() {
    const site = siteFilter.value;
    if (!site) return fleet.chargers;
    return fleet.chargers.filter((c) => (site === "none" ? !c.site : c.site && String(c.site.id) === site));
  }

  function renderSites() {
    const sites = new Map();
    for (const c of fleet.chargers) if (c.site) sites.set(String(c.site.id), c.site.name);
    const chosen = siteFilter.value;
    const options = [el("option", {value: "", text: "all sites"})];
    for (const [id, name] of [...sites].sort((a, b) => a[1].localeCompare(b[1]))) {
      options.push(el("option", {value: id, text: name}));
    }
    if (fleet.chargers.some((c) => !c.site)) options.push(el("option", {value: "none", text: "no site"}));
    siteFilter.replaceChildren(...options);
    siteFilter.value = [...siteFilter.options].some((o) => o.value === chosen) ? chosen : "";
  }

  // The summary links open the lists filtered as the counts are (site included).
  function linkCounts() {
    const site = siteFilter.value;
    const extra = site === "none" ? "&site__isnull=True" : site ? `&site__id__exact=${site}` : "";
    for (const id of ["link-online", "link-offline", "link-charging", "link-faulted"]) {
      const link = document.getElementById(id);
      link.setAttribute("href", link.getAttribute("href").split("&site__")[0] + extra);
    }
  }

  function renderCounts() {
    let online = 0, charging = 0, faulted = 0, powerW = 0, energyWh = 0;
    const chargers = shown();
    for (const charger of chargers) {
      if (charger.online) online += 1;
      energyWh += charger.energyTodayWh || 0;
      for (const c of charger.connectors) {
        if (isCharging(c)) charging += 1;
        if (c.status === "Faulted") faulted += 1;
        if (c.session) powerW += c.session.powerW || 0;
      }
    }
    document.getElementById("count-online").textContent = online;
    document.getElementById("count-offline").textContent = chargers.length - online;
    document.getElementById("count-charging").textContent = charging;
    document.getElementById("count-faulted").textContent = faulted;
    document.getElementById("fleet-power").textContent = (powerW / 1000).toFixed(1);
    document.getElementById("energy-today").textContent = (energyWh / 1000).toFixed(1);
    linkCounts();
  }

  function renderFaults() {
    const list = document.getElementById("recent-faults");
    list.replaceChildren(...fleet.recentFaults.map((f) => el("li", {}, [
      el("strong", {text: `${f.chargeBoxId}/${connectorName(f)} `}),
      el("span", {text: [f.status, fault(f), f.info].filter(Boolean).join(" · ")}),
      el("time", {datetime: f.at, text: new Date(f.at).toLocaleString("sv-SE")}),  // local time, year first
    ])));
    if (!fleet.recentFaults.length) list.replaceChildren(el("li", {class: "cs-none", text: "No fault reported."}));
  }

  function renderGrid() {
    const chargers = shown();
    const grid = document.getElementById("fleet-grid");
    grid.classList.toggle("cs-grouped", groupBySite.checked);
    if (!groupBySite.checked) {
      grid.replaceChildren(...chargers.map(chargerTile));
      return;
    }
    const groups = new Map();
    for (const c of chargers) {
      const name = c.site ? c.site.name : "No site";
      if (!groups.has(name)) groups.set(name, []);
      groups.get(name).push(c);
    }
    grid.replaceChildren(...[...groups].map(([name, members]) => el("section", {class: "cs-site", "data-site": name}, [
      el("h3", {text: `${name} · ${members.length}`}),
      el("div", {class: "cs-grid"}, members.map(chargerTile)),
    ])));
  }

  function render() {
    byId = new Map(fleet.chargers.map((c) => [c.id, c]));
    renderSites();
    renderGrid();
    renderCounts();
    renderFaults();
  }

  function repaint(charger) {
    const old = document.querySelector(`.cs-charger[data-charger="${CSS.escape(charger.chargeBoxId)}"]`);
    if (old) old.replaceWith(chargerTile(charger));
    renderCounts();
  }

  // Events that arrive while a snapshot is on its way may be newer than it: they are applied again on top.
  let sinceSnapshot = null;

  async function refresh() {
    refreshTimer = null;
    const arrived = sinceSnapshot = [];
    try {
      const response = await fetch(dataUrl, {credentials: "same-origin", headers: {Accept: "application/json"}});
      if (response.ok) {
        fleet = await response.json();
        render();
        for (const event of arrived) apply(event);
      }
    } catch (error) {
      // The socket's reconnect brings a fresh snapshot.
    } finally {
      if (sinceSnapshot === arrived) sinceSnapshot = null;
    }
  }

  function refreshSoon(delay) {
    if (refreshTimer === null) refreshTimer = setTimeout(refresh, delay);
  }

  function connectorOf(charger, event) {
    let connector = charger.connectors.find((c) => sameConnector(c, event));
    if (!connector) {
      connector = {evseId: event.evseId ?? null, connectorId: event.connectorId, status: "", session: null};
      charger.connectors.push(connector);
      charger.connectors.sort((a, b) => (a.evseId ?? 0) - (b.evseId ?? 0) || a.connectorId - b.connectorId);
    }
    return connector;
  }

  function apply(event) {
    const charger = byId.get(event.chargerId);
    if (!charger) {
      refreshSoon(0); // a charger this page has not seen yet
      return;
    }
    if (event.kind === "presence") {
      charger.online = event.online;
    } else if (event.kind === "connector") {
      if (event.connectorId === 0) {
        refreshSoon(2000);
        return;
      }
      Object.assign(connectorOf(charger, event),
        {status: event.status, errorCode: event.errorCode, info: event.info, since: event.at});
    } else if (event.kind === "transaction") {
      if (event.event === "ended") {
        for (const c of charger.connectors) {
          if (c.session && c.session.transactionId === event.transactionId) c.session = null;
        }
      } else {
        const connector = connectorOf(charger, event);
        const session = connector.session && connector.session.transactionId === event.transactionId
          ? connector.session : {transactionId: event.transactionId, idTag: "", chargingState: ""};
        if (event.idTag !== undefined) session.idTag = event.idTag;
        if (event.startTime !== undefined) session.startTime = event.startTime;
        if (event.chargingState !== undefined) session.chargingState = event.chargingState;
        connector.session = session;
      }
    }
    repaint(charger);
    refreshSoon(2000); // energy and faults come from the server
  }

  function setLive(state, text) {
    const badge = document.getElementById("live-state");
    badge.dataset.state = state;
    badge.textContent = text;
  }

  let backoff = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/dashboard`);
    let ping = null;
    socket.onopen = () => {
      backoff = 1000;
      setLive("live", "live");
      refresh();
      ping = setInterval(() => socket.send(JSON.stringify({type: "ping"})), 60000);
    };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (sinceSnapshot) sinceSnapshot.push(event);
      apply(event);
    };
    socket.onclose = () => {
      clearInterval(ping);
      setLive("reconnecting", "reconnecting…");
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 30000);
    };
  }

  for (const control of [siteFilter, groupBySite]) {
    control.addEventListener("change", () => {
      renderGrid();
      renderCounts();
    });
  }
  setInterval(tickElapsed, 1000);
  setInterval(() => {
    if (document.getElementById("live-state").dataset.state === "live") refresh();
  }, FIGURES_REFRESH_MS);
  render();
  connect();
})();
