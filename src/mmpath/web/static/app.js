// mmpath: small progressive enhancements. The pages work without this file.
// - "Add row" inserts a row in place (without JS the button posts the form back with one
//   more empty row); "Remove row" removes one.
// - The lab unit select offers only the units accepted for the chosen test.
// - "Print" button on the summary; confirmation before deleting a saved patient.
(function () {
  "use strict";

  function renumber(container) {
    var rows = container.querySelectorAll("fieldset.row");
    rows.forEach(function (row, i) {
      var n = row.querySelector(".row-number");
      if (n) n.textContent = String(i + 1);
    });
  }

  function nextIndex(container, group) {
    var max = -1;
    container.querySelectorAll("[name^='" + group + "[']").forEach(function (el) {
      var m = /\[(\d+)\]/.exec(el.name);
      if (m) max = Math.max(max, parseInt(m[1], 10));
    });
    return max + 1;
  }

  function enableRow(row) {
    var remove = row.querySelector("[data-remove-row]");
    if (remove) remove.hidden = false;
    row.querySelectorAll("[data-lab-test]").forEach(function (select) { filterUnits(select); });
  }

  var units = {};
  var form = document.getElementById("patient-form");
  if (form && form.dataset.units) {
    try { units = JSON.parse(form.dataset.units); } catch (e) { units = {}; }
  }

  function filterUnits(testSelect) {
    var row = testSelect.closest("fieldset.row");
    if (!row) return;
    var unitSelect = row.querySelector("[data-lab-unit]");
    if (!unitSelect) return;
    var allowed = units[testSelect.value];
    Array.prototype.forEach.call(unitSelect.options, function (opt) {
      var ok = !allowed || opt.value === "" || allowed.indexOf(opt.value) >= 0;
      opt.hidden = !ok;
      opt.disabled = !ok;
    });
    if (allowed && unitSelect.value && allowed.indexOf(unitSelect.value) < 0) unitSelect.value = "";
    if (allowed && !unitSelect.value && allowed.length === 1) unitSelect.value = allowed[0];
  }

  document.querySelectorAll("fieldset.row").forEach(enableRow);

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) {
      event.preventDefault();
      var group = add.getAttribute("data-add-row");
      var container = document.getElementById("rows-" + group);
      var template = document.getElementById("tpl-" + group);
      if (!container || !template) return;
      var index = nextIndex(container, group);
      var html = template.innerHTML.split("__i__").join(String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var row = holder.querySelector("fieldset.row");
      container.appendChild(row);
      enableRow(row);
      renumber(container);
      var first = row.querySelector("input, select");
      if (first) first.focus();
      return;
    }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      var fieldset = remove.closest("fieldset.row");
      var parent = fieldset.parentNode;
      var next = fieldset.nextElementSibling || fieldset.previousElementSibling;
      fieldset.remove();
      renumber(parent);
      var focusTarget = next ? next.querySelector("input, select") : parent.parentNode.querySelector("[data-add-row]");
      if (focusTarget) focusTarget.focus();
      return;
    }
    var print = event.target.closest("[data-print]");
    if (print) { window.print(); }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-lab-test]")) filterUnits(event.target);
  });

  document.querySelectorAll("[data-print]").forEach(function (b) { b.hidden = false; });

  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (event) {
      if (!window.confirm(f.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // After a failed submit the page comes back with its problem list: focus moves there,
  // so a screen reader reads it and the keyboard continues from it.
  var problemList = document.querySelector(".problems[role=alert][tabindex]");
  if (problemList) {
    problemList.focus();
  } else if (location.hash) {
    // Arriving at #field-id (a link back from a result page): focus that field.
    var target = document.getElementById(location.hash.slice(1));
    if (target) {
      var focusable = target.matches("input, select") ? target : target.querySelector("input, select");
      if (focusable) focusable.focus({ preventScroll: false });
    }
  }
})();
