// cgt-claimcheck HTML report: filter and sort the findings table in place. Reads only the page.
(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var controls = {
    rule: document.getElementById("filter-rule"),
    severity: document.getElementById("filter-severity"),
    payer: document.getElementById("filter-payer"),
    claim: document.getElementById("filter-claim")
  };
  var shown = document.getElementById("shown-count");

  function applyFilters() {
    var rule = controls.rule.value, severity = controls.severity.value, payer = controls.payer.value;
    var claim = controls.claim.value.trim().toLowerCase();
    var exact = controls.claim.dataset.exact === "1";  // set by a claim's "show" button
    var count = 0;
    rows.forEach(function (row) {
      var d = row.dataset;
      var keep = (!rule || d.rule === rule) && (!severity || d.severity === severity) &&
        (!payer || d.payer === payer) && (!claim || (exact ? d.claim.toLowerCase() === claim : d.claim.toLowerCase().indexOf(claim) !== -1));
      row.hidden = !keep;
      if (keep) { count += 1; }
    });
    shown.textContent = String(count);
  }

  function sortKey(row, index, type) {
    var cell = row.cells[index];
    var key = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent;
    return type === "number" ? Number(key) : key.toLowerCase();
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    if (!th.dataset.sort) { return; }
    th.tabIndex = 0;
    function sortBy() {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var type = th.dataset.sort;
      var order = rows.map(function (row, position) { return [sortKey(row, index, type), position, row]; });
      order.sort(function (a, b) {
        if (a[0] < b[0]) { return ascending ? -1 : 1; }
        if (a[0] > b[0]) { return ascending ? 1 : -1; }
        return a[1] - b[1];  // stable: report order within equal keys
      });
      rows = order.map(function (entry) { return entry[2]; });
      rows.forEach(function (row) { body.appendChild(row); });
    }
    th.addEventListener("click", sortBy);
    th.addEventListener("keydown", function (event) { if (event.key === "Enter") { sortBy(); } });
  });

  Object.keys(controls).forEach(function (name) {
    controls[name].addEventListener(name === "claim" ? "input" : "change", function () {
      if (name === "claim") { delete controls.claim.dataset.exact; }
      applyFilters();
    });
  });
  document.getElementById("filters").addEventListener("submit", function (event) { event.preventDefault(); });
  document.getElementById("filter-reset").addEventListener("click", function () {
    Object.keys(controls).forEach(function (name) { controls[name].value = ""; });
    delete controls.claim.dataset.exact;
    applyFilters();
  });
  Array.prototype.forEach.call(document.querySelectorAll("button.show-claim"), function (button) {
    button.addEventListener("click", function () {
      controls.claim.value = button.dataset.claim;
      controls.claim.dataset.exact = "1";
      applyFilters();
      table.scrollIntoView();
    });
  });
  applyFilters();
})();
