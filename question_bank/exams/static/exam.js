// The exam client (答题页), a client of the exam JSON API. Rules it keeps:
// - The server is the only clock: the countdown is the server's remaining seconds, ticked locally with
//   performance.now() and resynced by a GET every 30 s, after reconnecting and when the tab is shown again.
//   serverNow() (deadline − remaining at the last answer) also stamps every change (made_at), so a change made
//   before the deadline is still accepted while it waits in the queue during the grace period.
// - Never lose an answer: every change (choice at once, text after 600 ms or on leaving the field) gets the next
//   sequence number and is written to localStorage (`egov-exam-<attempt id>`: latest change per item + counter)
//   BEFORE it is sent. The queue is sent one request at a time, oldest seq first; an entry leaves the queue only
//   when the server holds its seq (or a newer one). Network errors, 5xx and 429 keep it queued and retry with
//   backoff (1 s, 2 s … 30 s), at once on `online`. On load, queued entries newer than the server's saved_seq win.
// - One device holds an attempt: loading the page (POST start) takes it over; when a save or the GET says another
//   device holds it, this page stops, keeps its queue and offers to take it back (the newer device always wins).
// - Handing in (交卷, or time up at 0) first drains the queue, then submits, retrying until the server answers.
//   A save refused as closed (deadline and grace passed, or handed in elsewhere) submits too: submitting is
//   idempotent and makes the server finalise an overdue attempt, then the page goes to the result page.
// Every visible string comes from #exam-labels (rendered by the template with gettext); CSP: no inline code.
(function () {
  "use strict";
  var root = document.getElementById("exam-app");
  if (!root) { return; }
  var L = document.getElementById("exam-labels").dataset;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var attemptId = Number(root.dataset.attemptId);
  var urls = { start: root.dataset.startUrl, attempt: root.dataset.attemptUrl, submit: root.dataset.submitUrl,
               result: root.dataset.resultUrl };
  function $(selector) { return root.querySelector(selector); }
  var el = { timer: $("[data-timer]"), clock: $("[data-clock]"), save: $("[data-save-state]"),
             takenOver: $("[data-taken-over]"), takeBack: $("[data-take-back]"), notice: $("[data-notice]"),
             announce: $("[data-announce]"), questions: $("[data-questions]"), nav: $("[data-nav]"),
             prev: $("[data-prev]"), next: $("[data-next]"), position: $("[data-position]"),
             palette: $("[data-palette]"), progress: $("[data-progress]"), submitOpen: $("[data-submit-open]"),
             dialog: $("[data-submit-dialog]"), confirm: $("[data-submit-confirm]"), cancel: $("[data-submit-cancel]"),
             left: $("[data-dialog-unanswered]"), pending: $("[data-dialog-pending]"),
             status: $("[data-dialog-status]") };
  var modeButtons = root.querySelectorAll("[data-mode]");
  var TYPES = { single: L.typeSingle, multiple: L.typeMultiple, true_false: L.typeTrueFalse,
                fill_blank: L.typeFillBlank, short_answer: L.typeShortAnswer };
  var CHOICE = { single: "radio", true_false: "radio", multiple: "checkbox" };

  var storeKey = "egov-exam-" + attemptId;
  var store = loadStore();   // {seq, pending: {item id: {response, seq, flagged, made_at}}, mode, current}
  var session = null;        // X-Attempt-Session token of this device
  var held = false;          // this device holds the attempt
  var over = false;          // leaving for the result page
  var finishing = "";        // "", "candidate" (交卷 confirmed), "time" (time up), "closed" (server said closed)
  var items = [];
  var deadlineMs = 0, syncServerMs = 0, syncPerf = 0, warned = false;
  var inFlight = null, failures = 0, retryTimer = null, retryFn = null, problem = "";  // problem: offline|auth|reload
  var typing = {};           // item id → debounce timer of text being typed
  var drained = null;        // called once the queue is empty (then the attempt is submitted)
  var headline = "";         // what the notice says (handing in, closed, refused answer)

  function fmt(text, values) { return text.replace(/\{(\w+)\}/g, function (m, key) { return values[key]; }); }
  function h(tag, className, text, props) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    Object.keys(props || {}).forEach(function (key) { node[key] = props[key]; });
    return node;
  }
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function values(inputs) { return Array.prototype.map.call(inputs, function (input) { return input.value; }); }

  // --- local storage: the queue survives reloads and crashes ---
  function loadStore() {
    var data = null;
    try { data = JSON.parse(window.localStorage.getItem(storeKey)); } catch (e) { data = null; }
    data = data && typeof data === "object" ? data : {};
    return { seq: Number(data.seq) || 0, pending: data.pending && typeof data.pending === "object" ? data.pending : {},
             mode: data.mode === "all" ? "all" : "one", current: Number(data.current) || 0 };
  }
  function persist() {  // only while holding: a page that lost the attempt must not overwrite the newer one's
    if (!held) { return; }
    try { window.localStorage.setItem(storeKey, JSON.stringify(store)); } catch (e) { /* full or off: memory only */ }
  }
  function pendingCount() { return Object.keys(store.pending).length; }

  // --- the server's clock ---
  function syncClock(body) {
    deadlineMs = Date.parse(body.deadline_at);
    syncServerMs = deadlineMs - body.remaining_seconds * 1000;
    syncPerf = performance.now();
  }
  function serverNow() { return syncServerMs + (performance.now() - syncPerf); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    if (!deadlineMs) { return; }
    var s = Math.max(0, Math.ceil((deadlineMs - serverNow()) / 1000)), hours = Math.floor(s / 3600);
    el.timer.textContent = (hours ? hours + ":" : "") + pad(Math.floor(s % 3600 / 60)) + ":" + pad(s % 60);
    el.clock.classList.toggle("is-warning", s <= 300);
    if (s <= 300 && s > 0 && !warned) { warned = true; el.announce.textContent = L.fiveMinutes; }
    if (s === 0 && held && !over && finishing !== "time" && finishing !== "closed") { timeUp(); }
  }

  // --- HTTP: every call resolves to {ok, status, code, message, data}; status 0 = no connection ---
  function api(method, url, body) {
    var headers = { "Accept": "application/json" };
    if (session) { headers["X-Attempt-Session"] = session; }
    if (method !== "GET") { headers["X-CSRFToken"] = csrf; headers["Content-Type"] = "application/json"; }
    var control = window.AbortController ? new AbortController() : null;  // a hung request must not block the queue
    var timer = control ? window.setTimeout(function () { control.abort(); }, 20000) : null;
    return fetch(url, { method: method, headers: headers, credentials: "same-origin", cache: "no-store",
                        body: body === undefined ? undefined : JSON.stringify(body),
                        signal: control ? control.signal : undefined })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (data) {
          if (response.ok && !data) { throw new Error("cut off"); }  // a body cut off counts as no connection
          var error = (data && data.error) || {};
          return { ok: response.ok, status: response.status, code: error.code || "", message: error.message || "",
                   data: data || {} };
        });
      }).catch(function () { return { ok: false, status: 0, code: "network", message: "", data: {} }; })
      .then(function (result) { window.clearTimeout(timer); return result; });
  }
  function retryable(r) {
    return r.status === 0 || r.status >= 500 || r.status === 429 || r.status === 408 || r.status === 401 ||
      r.code === "csrf_failed" || r.code === "conflict";
  }
  function retryLater(r, fn) {
    problem = r.status === 401 ? "auth" : r.code === "csrf_failed" ? "reload" : "offline";
    failures += 1;
    stopRetry();
    retryFn = fn;
    retryTimer = window.setTimeout(function () { retryTimer = null; fn(); },
                                   Math.min(30000, 1000 * Math.pow(2, failures - 1)));
    renderSave();
  }
  function stopRetry() { window.clearTimeout(retryTimer); retryTimer = null; }
  function retryNow() {
    if (retryTimer) { stopRetry(); failures = 0; retryFn(); }
  }

  // --- holding the attempt: start (= take over), refresh, lose it ---
  function takeHold() {
    api("POST", urls.start, { attempt_id: attemptId }).then(function (r) {
      if (r.ok) { failures = 0; begin(r.data); }
      else if (r.code === "attempt_closed") { closedByServer(); }
      else if (retryable(r)) { retryLater(r, takeHold); el.save.textContent = L.loadRetry; }
      else { el.takeBack.disabled = false; say(r.message || L.loadRetry); }
    });
  }

  function begin(body) {
    session = body.session;
    held = true;
    problem = "";
    syncClock(body);
    store.seq = Math.max(store.seq, body.seq_base || 0);  // the next change gets max(local, server) + 1
    items = body.items;
    var byId = {};
    items.forEach(function (item) {
      byId[item.id] = item;
      var local = store.pending[item.id];
      if (local && local.seq > (item.saved_seq || 0)) {  // made on this device, not on the server yet: it wins
        item.response = local.response;
        item.flagged = !!local.flagged;
      } else if (local) { delete store.pending[item.id]; }
    });
    Object.keys(store.pending).forEach(function (id) { if (!byId[id]) { delete store.pending[id]; } });
    persist();
    buildQuestions();
    el.takenOver.hidden = true;
    el.takeBack.disabled = false;
    setDisabled(false);
    renderView();
    tick();
    flush();
  }

  function refresh() {
    if (!held || over || finishing) { return; }
    api("GET", urls.attempt).then(function (r) {
      if (!r.ok) {
        if (r.status === 0 || r.status === 401) { problem = problem || (r.status ? "auth" : "offline"); renderSave(); }
        return;
      }
      if (r.data.status !== "in_progress") { toResult(); return; }
      syncClock(r.data);
      tick();
      if (r.data.holder === "other") { takenOver(); }
      else if (problem && problem !== "reload") { problem = ""; renderSave(); retryNow(); }  // reachable again
    });
  }

  function takenOver() {  // stop saving, keep the queue: it is sent if this device takes the attempt back
    if (!held) { return; }
    commitAllTyping();
    held = false;
    finishing = "";
    drained = null;
    stopRetry();
    setDisabled(true);
    closeDialog();
    el.takenOver.hidden = false;
    renderSave();
  }

  function toResult() { over = true; window.location.assign(urls.result); }

  // --- answers: read from the inputs, show in the inputs, record as a change ---
  function readResponse(item) {
    var checked = item.node.querySelectorAll("input:checked");
    if (item.type === "single") { return checked.length ? checked[0].value : null; }
    if (item.type === "true_false") { return checked.length ? checked[0].value === "true" : null; }
    if (item.type === "multiple") { return values(checked).sort().join("") || null; }  // "ABD"
    if (item.type === "fill_blank") {  // one string per blank
      var parts = values(item.node.querySelectorAll("input.q-blank-input"));
      return parts.some(function (part) { return part.trim(); }) ? parts : null;
    }
    var text = item.node.querySelector("textarea").value;
    return text.trim() ? text : null;
  }

  function showResponse(item) {
    var r = item.response, chosen = Array.isArray(r) ? r.join("") : String(r);
    each(item.node.querySelectorAll("input[type=radio], input[type=checkbox]"), function (input) {
      input.checked = r !== null && r !== undefined &&
        (item.type === "multiple" ? chosen.indexOf(input.value) >= 0 : chosen === input.value);
    });
    each(item.node.querySelectorAll("input.q-blank-input"), function (input, i) {
      input.value = Array.isArray(r) && typeof r[i] === "string" ? r[i] : "";
    });
    var area = item.node.querySelector("textarea");
    if (area) { area.value = typeof r === "string" ? r : ""; }
  }

  function answered(item) {
    var r = item.response;
    if (r === null || r === undefined || r === "") { return false; }
    return Array.isArray(r) ? r.some(function (part) { return String(part).trim(); }) : true;
  }

  function record(item, response, flagged) {
    item.response = response;
    if (flagged !== undefined) { item.flagged = flagged; }
    store.seq += 1;
    store.pending[item.id] = { response: response, seq: store.seq, flagged: !!item.flagged,
                               made_at: new Date(serverNow()).toISOString() };
    persist();  // on disk before it goes on the wire
    renderPalette();
    flush();
  }

  function typed(item) {
    window.clearTimeout(typing[item.id]);
    typing[item.id] = window.setTimeout(function () { commitTyping(item); }, 600);
    renderSave();
  }
  function commitTyping(item) {
    if (!(item.id in typing)) { return; }
    window.clearTimeout(typing[item.id]);
    delete typing[item.id];
    var response = readResponse(item);
    if (JSON.stringify(response) !== JSON.stringify(item.response)) { record(item, response); } else { renderSave(); }
  }
  function commitAllTyping() { items.forEach(commitTyping); }

  // --- the queue: one request at a time, oldest change first ---
  function flush() {
    renderSave();
    if (!held || over || inFlight || retryTimer) { return; }
    var id = null;
    Object.keys(store.pending).forEach(function (key) {
      if (id === null || store.pending[key].seq < store.pending[id].seq) { id = key; }
    });
    if (id === null) {
      if (drained && !Object.keys(typing).length) { var then = drained; drained = null; then(); }
      return;
    }
    inFlight = id;
    api("PUT", urls.attempt + "/items/" + id, store.pending[id]).then(function (r) {
      inFlight = null;
      if (r.ok) {
        failures = 0;
        problem = "";
        var now = store.pending[id];  // changed again meanwhile? then it stays queued
        if (now && now.seq <= r.data.saved_seq) { delete store.pending[id]; persist(); }
        flush();
      } else if (r.code === "taken_over") { takenOver(); }
      else if (r.code === "attempt_closed") { closedByServer(); }
      else if (retryable(r)) { retryLater(r, flush); }
      else {  // refused for good (an invalid answer): retrying cannot help
        delete store.pending[id];
        persist(); say(L.rejected + (r.message || r.status)); flush();
      }
    });
  }

  function renderSave() {
    var n = pendingCount(), text;
    if (!held) { text = items.length ? L.stopped : el.save.textContent; }
    else if (problem) { text = fmt({ auth: L.auth, reload: L.reload }[problem] || L.offline, { n: n }); }
    else if (n || inFlight || Object.keys(typing).length) { text = L.saving; }
    else { text = L.saved; }
    if (el.save.textContent !== text) { el.save.textContent = text; }
    el.save.classList.toggle("is-offline", held && !!problem);
    el.save.classList.toggle("is-saved", held && text === L.saved);
    if (el.dialog.open) { renderDialog(); }
    showNotice();
  }

  // --- handing in ---
  function say(text) { headline = text; showNotice(); }
  function showNotice() {  // while handing in, a connection problem is told as well
    var text = headline && finishing && problem ? headline + " " + L.submitRetry : headline;
    el.notice.textContent = el.status.textContent = text;
    el.notice.hidden = !text;
  }
  function finish(why) {
    commitAllTyping();
    finishing = why;
    setDisabled(true);
    drained = submitAttempt;
    flush();
  }
  function timeUp() { closeDialog(); say(L.timeUp); finish("time"); }
  function closedByServer() { say(L.closed); finishing = "closed"; setDisabled(true); submitAttempt(); }
  function submitAttempt() {
    if (!finishing || over) { return; }
    api("POST", urls.submit).then(function (r) {
      if (!finishing) { return; }  // the candidate went back to answering meanwhile
      if (r.ok) { toResult(); }
      else if (r.code === "taken_over") { takenOver(); }
      else if (retryable(r)) { retryLater(r, submitAttempt); }
      else { say(r.message || L.submitRetry); }
    });
  }

  function renderDialog() {
    var left = items.filter(function (item) { return !answered(item); }).length, n = pendingCount();
    el.left.textContent = left ? fmt(L.left, { n: left }) : L.allAnswered;
    el.pending.textContent = n ? fmt(L.pending, { n: n }) : L.allSaved;
  }
  function openDialog() {
    commitAllTyping();
    say("");
    el.confirm.disabled = false;
    renderDialog();
    if (el.dialog.showModal) { el.dialog.showModal(); } else { el.dialog.setAttribute("open", ""); }
    el.cancel.focus();
  }
  function closeDialog() {
    if (!el.dialog.open) { return; }
    if (el.dialog.close) { el.dialog.close(); } else { el.dialog.removeAttribute("open"); }
  }
  function cancelSubmit() {  // possible until the server has the submission; not once time is up
    if (finishing !== "candidate" && finishing !== "") { return false; }
    if (finishing) { finishing = ""; drained = null; setDisabled(!held); say(""); }
    closeDialog();
    return true;
  }

  // --- building the page ---
  function buildQuestions() {
    el.questions.textContent = "";
    el.palette.textContent = "";
    items.forEach(function (item, index) {
      el.questions.appendChild(buildItem(item, index));
      showResponse(item);
      item.cell = h("button", "palette-item", String(index + 1), { type: "button" });
      item.cell.addEventListener("click", function () { go(index, true); });
      el.palette.appendChild(h("li")).appendChild(item.cell);
    });
  }

  function buildItem(item, index) {
    var base = "q-" + item.id, number = fmt(L.question, { n: index + 1 }), label;
    var section = h("section", "card q", null, { id: base });
    section.dataset.position = index + 1;
    section.setAttribute("aria-labelledby", base + "-title");
    var head = section.appendChild(h("div", "q-head"));
    var title = head.appendChild(h("h2", "q-title", null, { id: base + "-title", tabIndex: -1 }));
    title.appendChild(h("span", "q-number", number));
    title.appendChild(h("span", "q-meta", (TYPES[item.type] || "") + " · " + fmt(L.points, { n: item.points })));
    item.flagButton = head.appendChild(h("button", "btn btn-small btn-secondary q-flag", L.flag, { type: "button" }));
    item.flagButton.addEventListener("click", function () {
      commitTyping(item);
      record(item, item.response, !item.flagged);
    });
    section.appendChild(h("div", "q-stem prose", null, { innerHTML: item.stem_html }));  // sanitized by the server
    var field = section.appendChild(h("fieldset", "q-answer"));
    field.appendChild(h("legend", "visually-hidden", number));
    if (CHOICE[item.type]) {
      var choices = item.type !== "true_false" ? item.options
        : [{ value: "true", text: L["true"] }, { value: "false", text: L["false"] }];
      choices.forEach(function (option, i) {
        label = field.appendChild(h("label", "q-option"));
        var box = h("input", "", null, { type: CHOICE[item.type], name: base + "-choice", value: option.value });
        box.addEventListener("change", function () { record(item, readResponse(item)); });
        label.appendChild(box);
        if (option.text) { label.appendChild(h("span", "q-option-text", option.text)); } else {
          label.appendChild(h("span", "q-letter", String.fromCharCode(65 + i) + "."));  // A, B, C… in display order
          label.appendChild(h("span", "q-option-text", null, { innerHTML: option.html }));  // sanitized by the server
        }
      });
    } else if (item.type === "fill_blank") {
      for (var b = 0; b < Math.max(1, item.blanks || 0); b += 1) {
        label = field.appendChild(h("label", "q-blank"));
        label.appendChild(h("span", "q-blank-label", fmt(L.blank, { n: b + 1 })));
        label.appendChild(h("input", "q-blank-input", null, { type: "text", autocomplete: "off", maxLength: 300 }));
      }
    } else {
      field.appendChild(h("label", "q-blank-label", L.answer, { htmlFor: base + "-text" }));
      field.appendChild(h("textarea", "", null, { id: base + "-text", maxLength: 4000, rows: 8 }));
    }
    field.addEventListener("input", function () { if (!CHOICE[item.type]) { typed(item); } });  // choices: "change"
    field.addEventListener("focusout", function () { commitTyping(item); });
    item.node = section;
    return section;
  }

  function setDisabled(disabled) {
    el.questions.disabled = disabled;  // a disabled <fieldset> disables every input and 标记 button inside
    el.submitOpen.disabled = disabled || !items.length;
  }

  function renderPalette() {
    var done = 0;
    items.forEach(function (item, index) {
      var isAnswered = answered(item), current = store.mode === "one" && index === store.current;
      if (isAnswered) { done += 1; }
      item.cell.classList.toggle("is-answered", isAnswered);
      item.cell.classList.toggle("is-flagged", !!item.flagged);
      item.cell.classList.toggle("is-current", current);
      if (current) { item.cell.setAttribute("aria-current", "step"); }
      else { item.cell.removeAttribute("aria-current"); }
      item.cell.setAttribute("aria-label", [fmt(L.question, { n: index + 1 }), isAnswered ? L.answered : L.unanswered]
        .concat(item.flagged ? [L.flagged] : []).join(", "));
      item.flagButton.setAttribute("aria-pressed", String(!!item.flagged));
      item.node.classList.toggle("is-flagged", !!item.flagged);
    });
    el.progress.textContent = fmt(L.progress, { n: done, total: items.length });
    renderSave();
  }

  function renderView() {
    var one = store.mode === "one";
    store.current = Math.max(0, Math.min(items.length - 1, store.current));
    items.forEach(function (item, index) { item.node.hidden = one && index !== store.current; });
    el.nav.hidden = !one || !items.length;
    el.prev.disabled = store.current === 0;
    el.next.disabled = store.current >= items.length - 1;
    el.position.textContent = fmt(L.position, { n: store.current + 1, total: items.length });
    each(modeButtons, function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.mode === store.mode));
    });
    renderPalette();
  }

  function go(index, focus) {
    if (!items.length) { return; }
    store.current = index;
    persist();
    renderView();
    var node = items[store.current].node;
    if (store.mode === "all") { node.scrollIntoView({ block: "start" }); }
    if (focus) { node.querySelector(".q-title").focus({ preventScroll: store.mode === "all" }); }
  }

  // --- events ---
  each(modeButtons, function (button) {
    button.addEventListener("click", function () { store.mode = button.dataset.mode; persist(); renderView(); });
  });
  el.prev.addEventListener("click", function () { go(store.current - 1); });
  el.next.addEventListener("click", function () { go(store.current + 1); });
  el.takeBack.addEventListener("click", function () { el.takeBack.disabled = true; takeHold(); });
  el.submitOpen.addEventListener("click", openDialog);
  el.cancel.addEventListener("click", cancelSubmit);
  el.dialog.addEventListener("cancel", function (event) { if (!cancelSubmit()) { event.preventDefault(); } });
  el.confirm.addEventListener("click", function () {
    el.confirm.disabled = true;
    say(L.submitting);
    finish("candidate");
  });
  window.addEventListener("online", function () { retryNow(); refresh(); });
  window.addEventListener("pagehide", commitAllTyping);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { commitAllTyping(); } else { refresh(); }
  });
  window.setInterval(tick, 500);
  window.setInterval(refresh, 30000);
  takeHold();
}());
