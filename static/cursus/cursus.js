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
