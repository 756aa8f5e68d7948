// E-Gov Academy — progressive enhancement only; every page works without it. No inline script (CSP).
(function () {
  "use strict";
  // Buttons or forms that need confirmation carry data-confirm="…".
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  }, true);
  // Selects that submit their form on change (e.g. the language switch).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // Hide the submit button of auto-submitting forms when JS runs.
  document.querySelectorAll("[data-js-hide]").forEach(function (el) { el.hidden = true; });
  // Print links.
  document.querySelectorAll("[data-print]").forEach(function (link) {
    link.addEventListener("click", function (event) { event.preventDefault(); window.print(); });
  });
  // Copy-to-clipboard buttons: data-copy="#element-id".
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.querySelector(button.getAttribute("data-copy"));
      if (target && navigator.clipboard) {
        navigator.clipboard.writeText(target.textContent.trim());
        button.textContent = button.getAttribute("data-copied") || "✓";
      }
    });
  });
})();
