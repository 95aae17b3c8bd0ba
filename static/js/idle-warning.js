// The warning before the idle sign-out (templates/_idle_warning.html; launch/session_policy.py signs a
// browser out SESSION_IDLE_TIMEOUT seconds after its last request). A static file: the CSP allows no
// inline script. Only a press of "Stay signed in" sends a request; nothing here polls, so an unattended
// screen is still signed out, and its page is hidden when the time is up.
(function () {
  "use strict";
  var box = document.getElementById("idle-warning");
  if (!box || !window.fetch) {
    return;
  }
  var idleSeconds = Number(box.dataset.idleSeconds);
  var leadSeconds = Number(box.dataset.warnSeconds);
  var message = box.querySelector("[data-idle-message]");
  var reload = box.querySelector("[data-idle-reload]");
  var form = box.querySelector("form");
  var timers = [];

  function duration(seconds) {
    var minutes = seconds / 60;
    if (seconds >= 60 && Number.isInteger(minutes)) {
      return minutes + (minutes === 1 ? " minute" : " minutes");
    }
    return seconds + (seconds === 1 ? " second" : " seconds");
  }

  var MESSAGES = {
    warning: "You will be signed out in " + duration(leadSeconds) + " for inactivity.",
    unreachable: "smartapp could not be reached. Try again in a moment.",
    expired: "For your privacy, this page was hidden after " + duration(idleSeconds) +
      " without activity. Reload it to go on if you are still signed in.",
  };

  function show(state) {
    message.textContent = MESSAGES[state];
    form.hidden = state === "expired";
    reload.hidden = state !== "expired";
    box.hidden = false;
  }

  function expire() {
    timers.forEach(clearTimeout);
    var content = document.getElementById("content");
    if (content) {
      content.hidden = true; // no patient data left on an unattended screen
    }
    show("expired");
  }

  function schedule() {
    timers.forEach(clearTimeout);
    timers = [
      setTimeout(function () { show("warning"); }, Math.max(idleSeconds - leadSeconds, 0) * 1000),
      setTimeout(expire, idleSeconds * 1000),
    ];
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 204) {
          box.hidden = true;
          schedule();
        } else {
          expire(); // the session had already ended
        }
      })
      .catch(function () { show("unreachable"); });
  });

  schedule();
})();
