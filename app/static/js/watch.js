/* Server-measured video watching: opens a watch session, resumes where the teacher stopped, and sends a
   heartbeat every 15 s while the video plays. Heartbeats stop while the page is hidden (another tab, the
   phone locked, WeChat in the background); the server credits only what it measured between them. */
(function () {
  "use strict";
  var box = document.querySelector("[data-watch-start]");
  if (!box) { return; }
  var video = document.querySelector(box.getAttribute("data-watch-player"));
  if (!video) { return; }
  var status = box.querySelector("[data-watch-status]");
  var bar = box.querySelector(".progress-bar");
  var notice = box.querySelector("[data-watch-notice]");
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var sessionId = null, timer = null, seq = 0, every = 15000;

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": csrf ? csrf.getAttribute("content") : ""},
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : null; });
  }

  function show(data) {
    if (!data || typeof data.covered_percent !== "number") { return; }
    if (bar) {
      bar.style.width = data.covered_percent + "%";
      bar.setAttribute("aria-valuenow", String(data.covered_percent));
    }
    if (status) { status.textContent = data.covered_percent + "%"; }
    // Say why an interval earned nothing (too fast, a jump, another video playing), in the page's language.
    var message = data.accepted === false ? box.getAttribute("data-msg-" + data.reason) : null;
    if (notice && message) { notice.textContent = message; notice.hidden = false; }
    else if (notice && data.accepted) { notice.hidden = true; }
  }

  function beat() {
    if (sessionId === null) { return; }
    seq += 1;
    post(box.getAttribute("data-watch-heartbeat"), {
      watch_session_id: sessionId, position: video.currentTime, playing: !video.paused && !video.ended,
      rate: video.playbackRate, seq: seq
    }).then(show).catch(function () { /* a lost beat only loses that interval */ });
  }

  function run() {
    if (timer === null && !video.paused && !document.hidden) { timer = window.setInterval(beat, every); }
  }
  function stop() {
    if (timer !== null) { window.clearInterval(timer); timer = null; }
  }

  post(box.getAttribute("data-watch-start"), {}).then(function (data) {
    if (!data) { return; }
    sessionId = data.watch_session_id;
    every = (data.heartbeat_seconds || 15) * 1000;
    show(data);
    var resume = function () {
      if (data.resume_position > 0 && data.resume_position < (video.duration || Infinity) - 1) {
        video.currentTime = data.resume_position;
      }
    };
    if (video.readyState >= 1) { resume(); } else { video.addEventListener("loadedmetadata", resume, {once: true}); }
    run();
  });

  video.addEventListener("play", function () { beat(); run(); });
  video.addEventListener("pause", function () { stop(); beat(); });
  video.addEventListener("ended", function () { stop(); beat(); });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { stop(); if (!video.paused) { video.pause(); } } else { run(); }
  });
})();
