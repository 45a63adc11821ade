// Exam page integrity log (诚信记录): report to the attempt's events endpoint when the page is hidden, the
// window loses focus, full screen is left, or text is copied or pasted; and an "open" with a random id of this
// browser tab, so the server can tell a second device or tab on the same attempt. What is logged is said on
// the page; the log is shown to the teacher and never used to grade. CSRF as the autosave: X-CSRFToken header.
(function () {
  "use strict";

  var root = document.getElementById("exam");
  if (!root || !root.dataset.eventsUrl) return;
  var url = root.dataset.eventsUrl;
  var key = "gx-exam-tab-" + root.dataset.attempt;
  var tab = null;
  try { tab = window.sessionStorage.getItem(key); } catch (e) { tab = null; }
  if (!tab) {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    tab = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    try { window.sessionStorage.setItem(key, tab); } catch (e) { /* private mode: a new id per load */ }
  }
  var last = {};

  function send(kind) {
    var now = Date.now();
    // The same kind at most once every 2 seconds (blur and hidden fire together when switching windows).
    if (kind !== "open" && last[kind] && now - last[kind] < 2000) return;
    last[kind] = now;
    var meta = document.querySelector("meta[name=csrf-token]");
    fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": meta ? meta.content : ""},
      body: JSON.stringify({kind: kind, tab: tab})
    }).catch(function () { /* best effort: the log never blocks answering */ });
  }

  send("open");
  document.addEventListener("visibilitychange", function () { if (document.hidden) send("hidden"); });
  window.addEventListener("blur", function () { send("blur"); });
  document.addEventListener("fullscreenchange", function () { if (!document.fullscreenElement) send("fullscreen_exit"); });
  document.addEventListener("copy", function () { send("copy"); });
  document.addEventListener("paste", function () { send("paste"); });
})();
