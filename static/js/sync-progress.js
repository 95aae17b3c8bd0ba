// The progress of the worklist's syncs (templates/referrals/_freshness.html). A static file: the CSP allows
// no inline script. Only while a sync runs or waits to start, it asks /referrals/sync-status/ (counts and
// times, no patient data) every few seconds, for a few minutes at most, and updates the progress text;
// once a run has finished or failed, it reloads the page to show the new data. That endpoint does not
// count as activity (launch/session_policy.py), so the idle sign-out still comes. Without script, the
// "Refresh" link does the same by hand.
(function () {
  "use strict";
  var box = document.getElementById("sync-freshness");
  if (!box || !window.fetch) {
    return;
  }
  var POLL_MS = 3000;
  var MAX_POLLS = 200; // 10 minutes: past that, "Refresh"
  var WAITING = "Sync requested: waiting for it to start…";
  var polls = 0;
  var items = {};
  var busy = false;
  Array.prototype.forEach.call(box.querySelectorAll("li[data-connection]"), function (item) {
    items[item.dataset.connection] = item;
    busy = busy || item.dataset.syncing === "true" || item.dataset.waiting === "true";
  });
  if (!busy) {
    return;
  }

  function changed(item, row) {
    return row.finished_at !== item.dataset.finishedAt || row.failed_at !== item.dataset.failedAt;
  }

  function update(status) {
    var active = false;
    var done = false;
    status.connections.forEach(function (row) {
      var item = items[row.connection];
      if (!item) {
        return;
      }
      done = done || changed(item, row);
      active = active || row.syncing || row.waiting;
      item.querySelector("[data-sync-progress]").textContent =
        row.syncing ? row.progress + "…" : row.waiting ? WAITING : "";
    });
    if (done) {
      window.location.reload();
    } else if (active && ++polls < MAX_POLLS) {
      setTimeout(poll, POLL_MS);
    }
  }

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status); // signed out: stop, the page says so on reload
        }
        return response.json();
      })
      .then(update)
      .catch(function () {});
  }

  setTimeout(poll, POLL_MS);
})();
