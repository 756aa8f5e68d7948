// The study clock (学习计时). The server is the only judge of credited time: this script only reports, every
// `interval` seconds, that the page is visible and the learner active, and shows the server's figures,
// ticking locally between beats. Hidden tab, idle learner or "still here?" prompt: the clock stops at once.
(function () {
  "use strict";
  var root = document.getElementById("study-clock");
  if (!root) { return; }
  var url = root.dataset.heartbeatUrl;
  var interval = Number(root.dataset.interval) * 1000;
  var idleLimit = Number(root.dataset.idle) * 1000;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var labels = document.getElementById("clock-labels").dataset;
  var clock = root.querySelector("[data-clock]");
  var status = root.querySelector("[data-status]");
  var bar = root.querySelector("progress");
  var prompt = document.getElementById("idle-prompt");
  var endMarker = document.getElementById("lesson-end");

  var serverSeconds = Number(root.dataset.seconds);
  var required = Number(root.dataset.required);
  var cap = Number(root.dataset.cap);
  var completed = root.dataset.completed === "1";
  var reachedEnd = root.dataset.reachedEnd === "1";
  var lastInput = Date.now();
  var running = false;
  var lastAck = 0;        // Date.now() of the last accepted beat while running
  var beatTimer = null;
  var offline = false;
  var message = "";

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function fmt(s) { s = Math.max(0, Math.floor(s)); return Math.floor(s / 60) + ":" + pad(s % 60); }
  function isVisible() { return document.visibilityState === "visible"; }
  function isActive() { return isVisible() && prompt.hidden && Date.now() - lastInput < idleLimit; }

  function shownSeconds() {
    if (!running || !lastAck) { return serverSeconds; }
    var local = Math.min((Date.now() - lastAck) / 1000, 40);
    return Math.min(serverSeconds + local, cap);
  }

  function render() {
    var s = shownSeconds();
    clock.textContent = fmt(s) + " / " + fmt(required);
    bar.value = Math.min(s, required);
    var text;
    if (offline) { text = labels.offline; }
    else if (message) { text = message; }
    else if (completed) { text = labels.completed; }
    else if (serverSeconds >= cap) { text = labels.capped; }
    else if (running) { text = serverSeconds >= required && !reachedEnd ? labels.needEnd : labels.counting; }
    else if (!isVisible()) { text = labels.hidden; }
    else { text = labels.idle; }
    status.textContent = text;
    root.classList.toggle("is-running", running);
  }

  function send(active, keepalive) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ active: active, reached_end: reachedEnd })
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (data) {
      offline = false;
      serverSeconds = data.seconds;
      completed = data.completed;
      if (data.course_completed) { message = labels.courseDone; }
      if (active && running) { lastAck = Date.now(); }
      render();
    }).catch(function () { offline = true; render(); });
  }

  function start() {
    running = true;
    lastAck = 0;
    send(true);
    beatTimer = window.setInterval(function () { send(true); }, interval);
    render();
  }

  function stop() {
    running = false;
    window.clearInterval(beatTimer);
    lastAck = 0;
    send(false, true);
    render();
  }

  function onInput() { lastInput = Date.now(); }
  ["mousemove", "mousedown", "keydown", "wheel", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, onInput, { passive: true });
  });

  prompt.querySelector("[data-resume]").addEventListener("click", function () {
    prompt.hidden = true;
    onInput();
    tick();
  });

  if (endMarker && "IntersectionObserver" in window) {
    new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; }) && !reachedEnd) {
        reachedEnd = true;
        if (running) { send(true); }
      }
    }).observe(endMarker);
  }

  function tick() {
    if (isVisible() && prompt.hidden && Date.now() - lastInput >= idleLimit) {
      prompt.hidden = false;  // 还在学习吗？ — the clock pauses until the learner answers
      prompt.querySelector("[data-resume]").focus();
    }
    var active = isActive();
    if (active && !running) { start(); }
    else if (!active && running) { stop(); }
    render();
  }

  document.addEventListener("visibilitychange", tick);
  window.addEventListener("pagehide", function () { if (running) { stop(); } });
  window.setInterval(tick, 1000);
  tick();
}());
