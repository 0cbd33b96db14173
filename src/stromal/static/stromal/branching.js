/* Progressive enhancement of instrument fieldsets: an item shown only when an earlier answer
   holds (data-when-item / -op / -value, see followup/_instrument_fieldset.html) is hidden and its
   inputs disabled (so not sent) while the condition does not hold. Without this script every item
   stays visible and the server refuses an answer that does not apply, naming the rule. */
(function () {
  "use strict";
  function current(form, name) {
    var field = form.elements.namedItem(name);
    return field && !field.disabled ? String(field.value) : "";
  }
  function holds(op, given, values) {
    if (given === "") { return false; }
    if (op === "==") { return given === values[0]; }
    if (op === "!=") { return given !== values[0]; }
    if (op === "in") { return values.indexOf(given) !== -1; }
    if (op === ">=") { return Number(given) >= Number(values[0]); }
    return true;
  }
  function update(form) {
    form.querySelectorAll("[data-when-item]").forEach(function (row) {
      var values = JSON.parse(row.getAttribute("data-when-value") || "[]");
      var shown = holds(row.getAttribute("data-when-op"), current(form, row.getAttribute("data-when-item")), values);
      row.hidden = !shown;
      row.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !shown; });
    });
  }
  document.querySelectorAll("form").forEach(function (form) {
    if (!form.querySelector("[data-when-item]")) { return; }
    form.addEventListener("change", function () { update(form); });
    update(form);
  });
})();
