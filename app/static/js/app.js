// Small progressive enhancements; no inline scripts anywhere (the CSP forbids them).
(function () {
  "use strict";

  // Widths of progress bars come from data-width (inline style attributes are blocked by the CSP).
  function applyWidths(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) {
      el.style.width = Math.max(0, Math.min(100, parseFloat(el.dataset.width) || 0)) + "%";
    });
  }

  // Ask before destructive actions: <form data-confirm="...">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  // Uploads with a progress bar: <form data-upload-progress="#bar-id">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var target = form.dataset.uploadProgress;
    if (!target || event.defaultPrevented || !window.FormData || !window.XMLHttpRequest) return;
    event.preventDefault();
    var wrap = document.querySelector(target);
    var bar = wrap && wrap.querySelector(".progress-bar");
    var label = wrap && wrap.querySelector("[data-progress-label]");
    if (wrap) wrap.hidden = false;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable || !bar) return;
      var pct = Math.round(e.loaded * 100 / e.total);
      bar.style.width = pct + "%";
      bar.setAttribute("aria-valuenow", pct);
      if (label) label.textContent = pct < 100 ? label.dataset.uploading + " " + pct + "%" : label.dataset.processing;
    });
    xhr.addEventListener("load", function () {
      document.open();
      document.write(xhr.responseText);
      document.close();
      window.history.replaceState(null, "", xhr.responseURL || window.location.href);
    });
    xhr.addEventListener("error", function () {
      if (label) label.textContent = label.dataset.failed;
      if (bar) bar.classList.add("bg-danger");
    });
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    xhr.send(new FormData(form));
  });

  // htmx requests carry the CSRF token from the page's meta tag.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector("meta[name=csrf-token]");
    if (meta) event.detail.headers["X-CSRFToken"] = meta.content;
  });

  document.addEventListener("DOMContentLoaded", function () { applyWidths(document); });
  document.addEventListener("htmx:afterSwap", function (event) { applyWidths(event.target); });
})();
