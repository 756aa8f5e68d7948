// The exam-day console (考试现场): polls rows.json (same filters and page as the page itself) every 15 s and
// redraws the counts, the table and the server's snapshot time. The page works without it (refresh link).
// Polling pauses while the tab is hidden and resumes at once when it is shown again. Every visible string
// comes from the server (row texts) or from #console-labels (gettext); CSP: no inline code, DOM built with
// textContent only.
(function () {
  "use strict";
  var root = document.getElementById("console-app");
  if (!root || !window.fetch) { return; }
  var L = document.getElementById("console-labels").dataset;
  var url = root.dataset.rowsUrl;
  var interval = Number(root.dataset.interval) || 15000;
  var tbody = root.querySelector("[data-rows]");
  var serverTime = root.querySelector("[data-server-time]");
  var liveState = root.querySelector("[data-live-state]");
  var totalLine = root.querySelector("[data-total]");
  var timer = null, busy = false;

  function h(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function rowNode(row) {
    var tr = h("tr");
    var who = h("td", "", row.name + " ");
    who.appendChild(h("span", "muted", row.employee_no));
    tr.appendChild(who);
    tr.appendChild(h("td", "", row.department));
    var status = h("td");
    status.appendChild(h("span", "badge console-" + row.status, row.status_label));
    tr.appendChild(status);
    [row.text.attempt, row.text.progress, row.text.timing, row.text.result].forEach(function (text) {
      tr.appendChild(h("td", "", text));
    });
    var action = h("td");
    var link = h("a", "", L.handle);
    link.href = row.url;
    action.appendChild(link);
    tr.appendChild(action);
    return tr;
  }

  function draw(body) {
    var fresh = document.createDocumentFragment();
    body.rows.forEach(function (row) { fresh.appendChild(rowNode(row)); });
    if (!body.rows.length) {
      var empty = h("tr");
      var cell = h("td", "muted", L.empty);
      cell.colSpan = 8;
      empty.appendChild(cell);
      fresh.appendChild(empty);
    }
    tbody.replaceChildren(fresh);
    Object.keys(body.counts).forEach(function (key) {
      var node = root.querySelector('[data-count="' + key + '"]');
      if (node) { node.textContent = body.counts[key]; }
    });
    if (totalLine) { totalLine.textContent = L.total.replace("{n}", body.total); }
    serverTime.textContent = body.server_time_text;
    liveState.textContent = "（" + L.live + "）";
    liveState.classList.remove("console-stale");
  }

  function stale() {
    liveState.textContent = L.stale;
    liveState.classList.add("console-stale");
  }

  function poll() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(draw)
      .catch(stale)
      .then(function () { busy = false; });
  }

  function start() {
    if (timer === null) { timer = window.setInterval(poll, interval); }
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { poll(); }
  });
  liveState.textContent = "（" + L.live + "）";
  start();
})();
