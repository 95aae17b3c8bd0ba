// The care team's action forms (templates/referrals/worklist.html and _work.html). A static file: the CSP
// allows no inline script. Everything here is a convenience: without it every field shows, and the server
// checks what each action needs (referrals/action_forms.py).
//  - the list: "select all" on the page, how many rows are selected, and only the fields of the chosen
//    action shown (and required, so the browser asks for them before the selection is sent);
//  - a close form: the note is required when the reason is "other".
(function () {
  "use strict";

  function requireNoteForOther(reason, note) {
    if (!reason || !note) {
      return;
    }
    var update = function () { note.required = reason.value === "other"; };
    reason.addEventListener("change", update);
    update();
  }

  document.querySelectorAll("[data-close-form]").forEach(function (form) {
    requireNoteForOther(form.querySelector("[name=reason]"), form.querySelector("[name=note]"));
  });

  var bulk = document.getElementById("bulk-form");
  if (!bulk) {
    return;
  }
  var boxes = Array.prototype.slice.call(bulk.querySelectorAll("input[name=ids]"));
  var all = bulk.querySelector("[data-select-all]");
  var count = bulk.querySelector("[data-selected-count]");
  var action = bulk.querySelector("[data-bulk-action]");
  var groups = Array.prototype.slice.call(bulk.querySelectorAll("[data-for]"));

  function selected() {
    return boxes.filter(function (box) { return box.checked; }).length;
  }

  function showCount() {
    var n = selected();
    count.textContent = n ? "(" + n + " selected)" : "(none selected)";
    all.checked = n > 0 && n === boxes.length;
    all.indeterminate = n > 0 && n < boxes.length;
  }

  var reason = bulk.querySelector("[name=reason]");

  function showFields() {
    groups.forEach(function (group) {
      var shown = group.dataset.for === action.value;
      group.hidden = !shown;
      group.querySelectorAll("input, select").forEach(function (field) {
        field.required = shown && (field.name !== "note" || reason.value === "other");
      });
    });
  }

  if (boxes.length) {
    bulk.querySelectorAll("[data-no-script]").forEach(function (el) { el.remove(); });
    all.hidden = false;
    bulk.querySelector("label[for=select-all]").hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      showCount();
    });
  }
  boxes.forEach(function (box) { box.addEventListener("change", showCount); });
  action.addEventListener("change", showFields);
  reason.addEventListener("change", showFields);
  bulk.addEventListener("submit", function (event) {
    if (!selected()) {
      event.preventDefault();
      count.textContent = "(select one or more referrals first)";
    }
  });
  showCount();
  showFields();
})();
