// Exam page: autosave each answer (debounced) through the attempt API, count down from the SERVER's deadline
// and clock, warn and retry with backoff when a save fails, refresh an aged CSRF token, keep unsaved answers in
// localStorage so a reload or a server restart loses nothing, and submit exactly once.
(function () {
  "use strict";

  var root = document.getElementById("exam");
  if (!root) return;
  var d = root.dataset;
  var DEBOUNCE_MS = 800;
  var MAX_BACKOFF_MS = 30000;
  var storeKey = "gx-exam-" + d.attempt;
  var offset = Date.parse(d.now) - Date.now(); // server clock minus client clock
  var deadline = d.deadline ? Date.parse(d.deadline) : null;
  var slots = {};
  var closing = false;

  // -- reading and writing the inputs of each kind of question (data-kind on .exam-input) ----------------------
  var kinds = {
    choice: {
      collect: function (el) { var c = el.querySelector("input:checked"); return c ? c.value : null; },
      apply: function (el, v) { el.querySelectorAll("input").forEach(function (i) { i.checked = i.value === v; }); }
    },
    boolean: {
      collect: function (el) { var c = el.querySelector("input:checked"); return c ? c.value === "true" : null; },
      apply: function (el, v) { el.querySelectorAll("input").forEach(function (i) { i.checked = (i.value === "true") === v && v !== null; }); }
    },
    multi: {
      collect: function (el) {
        return Array.prototype.map.call(el.querySelectorAll("input:checked"), function (i) { return i.value; });
      },
      apply: function (el, v) { el.querySelectorAll("input").forEach(function (i) { i.checked = (v || []).indexOf(i.value) >= 0; }); }
    },
    blanks: {
      collect: function (el) { return Array.prototype.map.call(el.querySelectorAll("input"), function (i) { return i.value; }); },
      apply: function (el, v) { el.querySelectorAll("input").forEach(function (i, n) { i.value = (v || [])[n] || ""; }); }
    },
    text: {
      collect: function (el) { var v = el.querySelector("input").value.trim(); return v === "" ? null : v; },
      apply: function (el, v) { el.querySelector("input").value = v === null ? "" : v; }
    },
    matching: {
      collect: function (el) {
        var out = {};
        el.querySelectorAll("select").forEach(function (s) { if (s.value) out[s.dataset.prompt] = s.value; });
        return out;
      },
      apply: function (el, v) { el.querySelectorAll("select").forEach(function (s) { s.value = (v || {})[s.dataset.prompt] || ""; }); }
    },
    essay: {
      collect: function (el) {
        var t = el.querySelector("textarea");
        var files = Array.prototype.map.call(el.querySelectorAll("[data-file-id]"), function (li) {
          return parseInt(li.dataset.fileId, 10);
        });
        return {text: t ? t.value : "", files: files};
      },
      apply: function (el, v) { var t = el.querySelector("textarea"); if (t && v) t.value = v.text || ""; }
    },
    none: { collect: function () { return null; }, apply: function () {} }
  };

  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  function refreshCsrf() {
    return fetch(d.csrfUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error("csrf " + r.status); return r.json(); })
      .then(function (body) {
        var meta = document.querySelector("meta[name=csrf-token]");
        if (meta) meta.content = body.csrf_token;
        document.querySelectorAll("input[name=csrf_token]").forEach(function (i) { i.value = body.csrf_token; });
      });
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken()},
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (json) { return {status: r.status, body: json}; });
    });
  }

  // -- status display -------------------------------------------------------------------------------------------
  var statusEl = root.querySelector("[data-save-status]");
  var offlineEl = root.querySelector("[data-offline]");

  function anyUnsaved() {
    return Object.keys(slots).some(function (k) { return slots[k].dirty || slots[k].inflight; });
  }

  function showOffline(on) {
    offlineEl.classList.toggle("d-none", !on);
    offlineEl.textContent = on ? d.msgOffline + "，" + d.msgRetry : "";
  }

  function setStatus(text) { statusEl.textContent = text; }

  function serverNow() { return Date.now() + offset; }

  function hhmmss(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h ? h + ":" : "") + (m < 10 && h ? "0" : "") + m + ":" + (sec < 10 ? "0" : "") + sec;
  }

  // -- local backup of answers not yet acknowledged by the server --------------------------------------------------
  function loadBackup() {
    try { return JSON.parse(window.localStorage.getItem(storeKey) || "{}"); } catch (e) { return {}; }
  }

  function writeBackup(slot, response) {
    try {
      var all = loadBackup();
      if (response === undefined) delete all[slot]; else all[slot] = response;
      window.localStorage.setItem(storeKey, JSON.stringify(all));
    } catch (e) { /* private mode: the server copy is what counts */ }
  }

  // -- saving ---------------------------------------------------------------------------------------------------------
  function scheduleSave(state, delay) {
    window.clearTimeout(state.timer);
    state.timer = window.setTimeout(function () { save(state); }, delay);
  }

  function save(state) {
    if (state.inflight || closing && !state.dirty) return state.inflight || Promise.resolve(true);
    if (!state.dirty) return Promise.resolve(true);
    var response = kinds[state.kind].collect(state.input);
    var seq = state.seq + 1;
    state.dirty = false;
    state.section.querySelector("[data-item-status]").textContent = d.msgSaving;
    state.inflight = api("PUT", d.saveUrl + state.slot, {response: response, seq: seq}).then(function (res) {
      state.inflight = null;
      if (res.status === 200) {
        state.seq = seq;
        state.failures = 0;
        state.csrfRetried = false;
        if (res.body.now) offset = Date.parse(res.body.now) - Date.now();
        if (!state.dirty) writeBackup(state.slot, undefined);
        state.section.classList.remove("is-unsaved");
        state.section.querySelector("[data-item-status]").textContent = d.msgSaved;
        if (!anyUnsaved()) { showOffline(false); setStatus(d.msgSaved); }
        if (state.dirty) scheduleSave(state, DEBOUNCE_MS);
        return true;
      }
      var details = (res.body.error && res.body.error.details) || {};
      var message = (res.body.error && res.body.error.message) || "";
      if (res.status === 409 && typeof details.seq === "number") {
        state.seq = details.seq; // another tab saved later numbers: continue above them
        state.dirty = true;
        return save(state);
      }
      if (res.status === 409) { return finish(message); }
      if (res.status === 400 && !state.csrfRetried) {
        // Most likely an aged CSRF token: fetch a fresh one and try once more.
        state.csrfRetried = true;
        state.dirty = true;
        return refreshCsrf().then(function () { return save(state); }, function () { return fail(state); });
      }
      if (res.status === 400 || res.status === 404) {
        state.section.querySelector("[data-item-status]").textContent = d.msgInvalid + message;
        state.section.classList.add("is-unsaved");
        return false;
      }
      state.dirty = true;
      return fail(state);
    }, function () {
      state.inflight = null;
      state.dirty = true;
      return fail(state);
    });
    return state.inflight;
  }

  function fail(state) {
    state.failures += 1;
    state.section.classList.add("is-unsaved");
    state.section.querySelector("[data-item-status]").textContent = d.msgOffline;
    showOffline(true);
    setStatus(d.msgOffline);
    var delay = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, state.failures - 1));
    scheduleSave(state, delay);
    return false;
  }

  function flushAll() {
    return Promise.all(Object.keys(slots).map(function (k) {
      var s = slots[k];
      window.clearTimeout(s.timer);
      return s.inflight ? s.inflight.then(function () { return save(s); }) : save(s);
    })).then(function (results) { return results.every(Boolean) && !anyUnsaved(); });
  }

  function finish(message) {
    if (closing) return false;
    closing = true;
    setStatus(message || d.msgClosed);
    window.setTimeout(function () { window.location.assign(d.resultUrl); }, 1200);
    return false;
  }

  function submit() {
    return flushAll().then(function (ok) {
      if (!ok && !closing) { window.alert(d.msgPending); return; }
      return api("POST", d.submitUrl).then(function (res) {
        if (res.status === 400) return refreshCsrf().then(submit);
        if (res.status === 200 || res.status === 409) { closing = true; window.location.assign(d.resultUrl); return; }
        showOffline(true);
      }, function () { showOffline(true); });
    });
  }

  // -- wiring -----------------------------------------------------------------------------------------------------------
  var backup = loadBackup();
  root.querySelectorAll(".exam-item").forEach(function (section) {
    var input = section.querySelector(".exam-input");
    var kind = input.dataset.kind;
    var state = {slot: section.dataset.slot, seq: parseInt(section.dataset.seq, 10) || 0, kind: kind,
                 input: input, section: section, dirty: false, inflight: null, timer: null, failures: 0};
    slots[state.slot] = state;
    if (Object.prototype.hasOwnProperty.call(backup, state.slot)) {
      kinds[kind].apply(input, backup[state.slot]); // an answer the server never acknowledged
      state.dirty = true;
      scheduleSave(state, 0);
    }
    var onEdit = function () {
      state.dirty = true;
      writeBackup(state.slot, kinds[kind].collect(input));
      state.section.querySelector("[data-item-status]").textContent = "";
      scheduleSave(state, DEBOUNCE_MS);
    };
    input.addEventListener("change", onEdit);
    input.addEventListener("input", onEdit);
  });

  // Essay attachments: upload the file, then list its id in the answer (which autosaves it).
  function addFileRow(list, file) {
    var li = document.createElement("li");
    li.dataset.fileId = file.id;
    var a = document.createElement("a");
    a.href = file.url; a.target = "_blank"; a.rel = "noopener"; a.textContent = file.name;
    var remove = document.createElement("button");
    remove.type = "button"; remove.className = "btn btn-link btn-sm p-0 ms-2"; remove.textContent = d.msgRemove;
    remove.setAttribute("data-remove-file", "");
    li.appendChild(a); li.appendChild(remove);
    list.appendChild(li);
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-file]");
    if (!button) return;
    var input = button.closest(".exam-input");
    button.closest("li").remove();
    input.dispatchEvent(new Event("change"));
  });

  root.querySelectorAll("input[data-upload]").forEach(function (fileInput) {
    fileInput.addEventListener("change", function (event) {
      event.stopPropagation(); // the answer changes only once the upload is stored
      var section = fileInput.closest(".exam-item");
      var state = slots[section.dataset.slot];
      var list = section.querySelector("[data-files]");
      var status = section.querySelector("[data-item-status]");
      if (!fileInput.files.length) return;
      if (list.children.length >= parseInt(fileInput.dataset.max, 10)) { status.textContent = d.msgTooMany; return; }
      var body = new FormData();
      body.append("file", fileInput.files[0]);
      status.textContent = d.msgUploading;
      var send = function (retried) {
        return fetch(d.saveUrl + state.slot + "/files", {method: "POST", credentials: "same-origin", body: body,
                                                        headers: {"X-CSRFToken": csrfToken(), "Accept": "application/json"}})
          .then(function (r) { return r.json().then(function (json) { return {status: r.status, body: json}; }); })
          .then(function (res) {
            if (res.status === 201) {
              addFileRow(list, res.body);
              fileInput.value = "";
              state.input.dispatchEvent(new Event("change"));
            } else if (res.status === 400 && !retried) {
              return refreshCsrf().then(function () { return send(true); });
            } else {
              status.textContent = d.msgUploadFailed + ((res.body.error && res.body.error.message) || res.status);
            }
          }, function () { status.textContent = d.msgOffline; });
      };
      send(false);
    });
  });

  var form = root.querySelector("[data-submit-form]");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (window.confirm(d.msgConfirm)) submit();
  });

  // One question at a time: save this question's answer before moving on (the server refuses a late save of
  // a question left behind when going back is not allowed).
  root.querySelectorAll("form[data-nav]").forEach(function (nav) {
    nav.addEventListener("submit", function (event) {
      if (!anyUnsaved()) return;
      event.preventDefault();
      flushAll().then(function (ok) { if (ok) nav.submit(); });
    });
  });

  window.addEventListener("beforeunload", function (event) {
    if (!closing && anyUnsaved()) { event.preventDefault(); event.returnValue = ""; }
  });
  window.addEventListener("online", function () {
    Object.keys(slots).forEach(function (k) { if (slots[k].dirty) scheduleSave(slots[k], 0); });
  });

  var remainingEl = root.querySelector("[data-remaining]");
  if (deadline && remainingEl) {
    var tick = function () {
      var left = deadline - serverNow();
      remainingEl.textContent = hhmmss(left);
      if (left <= 0 && !closing) {
        setStatus(d.msgTimeup);
        closing = true;
        // The server accepts saves for a short grace after the deadline; send what is left, then close.
        flushAll().then(function () { return api("POST", d.submitUrl); })
          .then(function () { window.location.assign(d.resultUrl); }, function () { window.location.assign(d.resultUrl); });
        return;
      }
      window.setTimeout(tick, 1000 - (serverNow() % 1000));
    };
    tick();
  }
})();
