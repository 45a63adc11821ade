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

  // Kind-dependent object lists (macros.html:target_picker): show only the list of the chosen kind.
  function syncTargetPickers(root) {
    root.querySelectorAll("[data-target-picker]").forEach(function (picker) {
      var kindField = document.getElementById(picker.dataset.targetPicker);
      if (!kindField) return;
      var any = false;
      picker.querySelectorAll("[data-target-kind]").forEach(function (group) {
        var on = group.dataset.targetKind === kindField.value;
        group.hidden = !on;
        any = any || on;
      });
      picker.hidden = !any;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.id && document.querySelector('[data-target-picker="' + event.target.id + '"]')) {
      syncTargetPickers(document);
    }
  });
  // <input data-filter-list="select-id">: hide the options whose title does not contain what was typed.
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.dataset || !input.dataset.filterList) return;
    var select = document.getElementById(input.dataset.filterList);
    if (!select) return;
    var query = input.value.trim().toLowerCase();
    Array.prototype.forEach.call(select.options, function (option) {
      option.hidden = option.value !== "" && query !== "" && option.text.toLowerCase().indexOf(query) === -1;
    });
  });

  document.addEventListener("DOMContentLoaded", function () { applyWidths(document); syncTargetPickers(document); });
  document.addEventListener("htmx:afterSwap", function (event) { applyWidths(event.target); });
})();
