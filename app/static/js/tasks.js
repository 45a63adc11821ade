// Work-task stages: autosave drafts while the student types, and confirm before a stage is handed in.
(function () {
  "use strict";
  var form = document.getElementById("stage-form");
  if (!form || !form.dataset.autosave) return;
  var status = document.getElementById("autosave-status");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var timer = null;
  var saving = false;

  function say(text) { if (status) status.textContent = text; }

  function save() {
    if (saving) { schedule(); return; }
    saving = true;
    var data = new FormData(form);
    data.set("action", "draft");
    fetch(form.dataset.autosave, {
      method: "POST", body: data, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": meta ? meta.content : ""}
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (result) {
      if (result.ok) {
        // The next save builds on this one: another member's save in between is then a conflict (409).
        var base = document.getElementById("stage-base");
        if (base && result.body.entry) base.value = result.body.entry;
        say(form.dataset.savedText + " " + new Date().toLocaleTimeString());
      } else {
        say(result.body && result.body.error ? result.body.error.message : form.dataset.failedText);
      }
    }).catch(function () {
      say(form.dataset.offlineText);
    }).then(done, done);  // not .finally(): older WeChat X5 kernels (Chromium 57) lack it
  }

  function done() {
    saving = false;
  }

  function schedule() {
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(save, 2000);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function (event) {
    // event.submitter is missing in older WeChat X5 kernels: the tapped button is then the focused element.
    var button = event.submitter || document.activeElement;
    if (timer) window.clearTimeout(timer);
    if (button && button.dataset.confirmSubmit && !window.confirm(button.dataset.confirmSubmit)) {
      event.preventDefault();
    }
  });
})();
