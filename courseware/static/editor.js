// Live preview for the lesson editor: the server renders and sanitizes (the same code as on save).
(function () {
  "use strict";
  var preview = document.getElementById("preview");
  var source = document.getElementById("body_md");
  if (!preview || !source) { return; }
  var status = document.getElementById("preview-status");
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var timer = null;
  var sequence = 0;
  function refresh() {
    var mine = ++sequence;
    status.textContent = "…";
    fetch(preview.dataset.previewUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ text: source.value })
    }).then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        if (mine !== sequence) { return; }  // a newer preview is on its way
        preview.innerHTML = data.html;      // sanitized by the server (nh3 allow-list)
        status.textContent = "";
      })
      .catch(function () { status.textContent = "预览暂不可用"; });
  }
  source.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
}());
