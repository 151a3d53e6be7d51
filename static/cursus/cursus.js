// Small conveniences, no inline script (CSP).
// 1. Forms marked data-keep remember what is typed in this browser until the server saves it,
//    so nothing is lost when a session expires or a page is left by mistake.
(function () {
  "use strict";
  function key(form) { return "cursus:" + form.getAttribute("data-keep"); }
  document.querySelectorAll("[data-saved]").forEach(function (el) {
    try { localStorage.removeItem("cursus:" + el.getAttribute("data-saved")); } catch (e) { /* private mode */ }
  });
  document.querySelectorAll("form[data-keep]").forEach(function (form) {
    var stored = null;
    try { stored = JSON.parse(localStorage.getItem(key(form)) || "null"); } catch (e) { stored = null; }
    if (stored && !form.hasAttribute("data-has-errors")) {
      var restored = false;
      Object.keys(stored).forEach(function (name) {
        var field = form.elements.namedItem(name);
        if (!field || field.type === "file" || field.type === "hidden") return;
        if (field instanceof RadioNodeList) {
          Array.prototype.forEach.call(field, function (r) { if (r.value === stored[name] && !r.checked) { r.checked = true; restored = true; } });
        } else if (field.type === "checkbox") {
          if (field.checked !== stored[name]) { field.checked = stored[name]; restored = true; }
        } else if (field.value !== stored[name]) { field.value = stored[name]; restored = true; }
      });
      if (restored) {
        var note = form.querySelector(".restored");
        if (note) note.hidden = false;
      }
    }
    form.addEventListener("input", function () {
      var data = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.type === "file" || el.type === "hidden" || el.name === "csrfmiddlewaretoken") return;
        if (el.type === "radio") { if (el.checked) data[el.name] = el.value; }
        else if (el.type === "checkbox") data[el.name] = el.checked;
        else data[el.name] = el.value;
      });
      try { localStorage.setItem(key(form), JSON.stringify(data)); } catch (e) { /* quota */ }
    });
  });
  // 2. Buttons that ask before an irreversible step.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (ev) { if (!window.confirm(el.getAttribute("data-confirm"))) ev.preventDefault(); });
  });
})();
// 3. Issue 7 items 3 and 9: the error summary takes the focus after a failed submit; the header menu
//    is open on wide screens (CSS shows it anyway; this keeps the accessibility tree in step);
//    copy buttons (hidden until script runs, so nothing is broken without it).
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary && document.activeElement !== summary) summary.focus();
  var menu = document.querySelector("details.menu");
  if (menu && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 60em)");
    if (wide.matches) menu.open = true;
    // Going narrow (a rotated tablet) folds the menu again; going wide opens it.
    if (wide.addEventListener) wide.addEventListener("change", function () { menu.open = wide.matches; });
    // On a phone the open menu covers the page: Escape, or the focus leaving it, folds it again.
    var fold = function () {
      if (!wide.matches && menu.open) menu.open = false;
    };
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !wide.matches && menu.open) {
        fold();
        menu.querySelector("summary").focus();
      }
    });
    menu.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !menu.contains(event.relatedTarget)) fold();
    });
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var status = button.parentNode.querySelector(".copied");
    var done = function () { if (status) status.textContent = button.getAttribute("data-copied") || ""; };
    button.hidden = false;
    button.addEventListener("click", function () {
      // Selected either way: if the clipboard is refused, the person copies the selection themselves.
      var range = document.createRange();
      range.selectNodeContents(source);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      if (navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent.trim()).then(done, function () { /* selected */ });
      } else {
        try { if (document.execCommand("copy")) done(); } catch (e) { /* selected */ }
      }
    });
  });
})();
