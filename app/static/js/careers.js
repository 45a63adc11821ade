// 签到: ask the browser for the location when the student checks in; without it (refused, unavailable, slow)
// the check-in is sent with the time only.
(function () {
  document.querySelectorAll("form[data-check-in]").forEach(function (form) {
    var asked = false;
    form.addEventListener("submit", function (event) {
      if (asked || !navigator.geolocation) return;
      event.preventDefault();
      asked = true;
      var send = function () { form.submit(); };
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.querySelector("[name=latitude]").value = pos.coords.latitude.toFixed(6);
        form.querySelector("[name=longitude]").value = pos.coords.longitude.toFixed(6);
        send();
      }, send, {timeout: 10000, maximumAge: 60000});
    });
  });
})();
