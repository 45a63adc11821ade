// Gradebook: inline editing with htmx. A 409 (someone else changed the grade) or 400 (bad value, missing
// reason) comes back as JSON or HTML; show its message in the cell instead of failing silently.
(function () {
  "use strict";
  document.body.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var target = event.detail.target;
    var message = "";
    try { message = JSON.parse(xhr.responseText).error.message; } catch (e) {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var p = doc.querySelector("main .lead") || doc.querySelector("main h1");
      message = p ? p.textContent : xhr.statusText;
    }
    var box = target.querySelector("[data-cell-error]") || target;
    box.textContent = message;
    box.classList.add("text-danger");
  });
  // Cancel button of an inline form: reload the cell from the server.
  document.body.addEventListener("click", function (event) {
    var button = event.target.closest("[data-cell-cancel]");
    if (!button) return;
    event.preventDefault();
    window.htmx.ajax("GET", button.dataset.cellCancel, {target: button.closest("td"), swap: "innerHTML"});
  });
})();
