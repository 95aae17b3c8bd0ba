// The outreach note's live length (templates/referrals/detail.html). A static file: the CSP allows no
// inline script. It only counts: the server checks the limit and refuses a longer note with the text kept
// (referrals/forms.py OutreachNoteForm), and nothing here ever shortens what was typed or pasted.
(function () {
  "use strict";
  var field = document.querySelector("textarea[data-max-chars]");
  var counter = document.getElementById("note-count");
  if (!field || !counter) {
    return;
  }
  var max = Number(field.dataset.maxChars);
  var format = window.Intl ? new Intl.NumberFormat("en") : { format: String };

  function update() {
    var length = Array.from(field.value).length; // code points, as the server counts
    var over = length - max;
    counter.textContent = over > 0
      ? format.format(length) + " characters: " + format.format(over) + " over the limit"
      : format.format(length) + " of " + format.format(max) + " characters";
    counter.classList.toggle("error", over > 0);
  }

  field.addEventListener("input", update);
  update();
})();
