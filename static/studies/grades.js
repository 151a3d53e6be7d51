// The grade grid (issue 10 item 3): Enter in a grade box moves to the next student's box instead of
// sending the form (the grid is saved once, with its button). No inline script (CSP).
(function () {
  "use strict";
  var inputs = Array.prototype.slice.call(document.querySelectorAll("form.grade-grid input.grade-input"));
  inputs.forEach(function (input, i) {
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.isComposing) return;
      event.preventDefault();
      var next = inputs[i + (event.shiftKey ? -1 : 1)];
      if (next) { next.focus(); next.select(); }
    });
  });
})();
