// Live preview for editors: the server renders and sanitizes (the same code as on save). A preview element
// names its source fields: <div data-preview-url="…" data-sources="stem_md explanation_md">.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  document.querySelectorAll("[data-preview-url]").forEach(function (preview) {
    var sources = (preview.dataset.sources || "body_md").split(/\s+/).map(function (id) {
      return document.getElementById(id);
    }).filter(Boolean);
    if (!sources.length) { return; }
    var status = document.getElementById(preview.dataset.status || "preview-status");
    var timer = null;
    var sequence = 0;
    function text() {
      return sources.map(function (field) {
        var label = field.dataset.previewLabel;
        return field.value ? (label ? label + field.value : field.value) : "";
      }).filter(Boolean).join("\n\n");
    }
    function refresh() {
      var mine = ++sequence;
      if (status) { status.textContent = "…"; }
      fetch(preview.dataset.previewUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ text: text() })
      }).then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          if (mine !== sequence) { return; }   // a newer preview is on its way
          preview.innerHTML = data.html;       // sanitized by the server (nh3 allow-list)
          if (status) { status.textContent = ""; }
        })
        .catch(function () { if (status) { status.textContent = "预览暂不可用"; } });
    }
    sources.forEach(function (field) {
      field.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(refresh, 400);
      });
    });
  });
}());
