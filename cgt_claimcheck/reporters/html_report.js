// cgt-claimcheck HTML report: draws the claims and findings tables from the embedded data set
// (#report-data), a page at a time; filters, sorts and pages them. Reads only the page. Every
// value is written with textContent, never as markup.
(function () {
  "use strict";
  var source = document.getElementById("report-data");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);
  var SEVERITY_RANK = { error: 0, warning: 1, info: 2 };

  function number(n) { return n.toLocaleString("en-US"); }
  function money(n) {
    return n === null ? "" : "$" + n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  // A column of the data set: dictionary-encoded text ({values, codes}) or plain numbers.
  // (An Array has a `values` method: ask Array.isArray, not for `values`.)
  function text(column, i) { return Array.isArray(column) ? column[i] : column.values[column.codes[i]]; }

  // One number per record that orders it by a column: text by its lower case, numbers as numbers.
  function sortKeys(column, how, n) {
    var keys = new Float64Array(n), i;
    if (Array.isArray(column)) {
      for (i = 0; i < n; i += 1) { keys[i] = column[i] === null ? -Infinity : column[i]; }
      return keys;
    }
    var values = column.values, rank = new Float64Array(values.length);
    if (how === "severity") {
      values.forEach(function (v, code) { rank[code] = v in SEVERITY_RANK ? SEVERITY_RANK[v] : 9; });
    } else if (how === "number") {
      values.forEach(function (v, code) { rank[code] = /^\d+$/.test(v) ? Number(v) : -1; });
    } else {
      var order = values.map(function (v, code) { return [v.toLowerCase(), code]; });
      order.sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; });
      var r = 0;
      order.forEach(function (entry, position) {
        if (position > 0 && entry[0] !== order[position - 1][0]) { r += 1; }
        rank[entry[1]] = r;
      });
    }
    for (i = 0; i < n; i += 1) { keys[i] = rank[column.codes[i]]; }
    return keys;
  }

  // A table drawn from the data set: sort by a heading, filter by a predicate, show one page.
  function View(tableId, columns, n, drawRow, countId) {
    var table = document.getElementById(tableId);
    var self = this;
    this.body = table.tBodies[0];
    this.columns = columns;
    this.n = n;
    this.drawRow = drawRow;
    this.count = document.getElementById(countId);
    this.keep = null;
    this.order = new Uint32Array(n);
    for (var i = 0; i < n; i += 1) { this.order[i] = i; }
    this.shown = this.order;
    this.page = 0;
    var pager = document.getElementById(tableId.replace("-table", "-pager"));
    this.range = pager.querySelector(".range");
    this.prev = pager.querySelector(".prev");
    this.next = pager.querySelector(".next");
    this.size = pager.querySelector(".size");
    this.pageSize = Number(this.size.value);
    this.prev.addEventListener("click", function () { self.turn(-1); });
    this.next.addEventListener("click", function () { self.turn(1); });
    this.size.addEventListener("change", function () { self.pageSize = Number(self.size.value); self.page = 0; self.draw(); });
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th) {
      if (!th.dataset.sort) { return; }
      function sortBy() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        self.sort(th.dataset.key, th.dataset.sort, ascending);
      }
      th.addEventListener("click", sortBy);
      th.addEventListener("keydown", function (event) { if (event.key === "Enter") { sortBy(); } });
    });
  }
  View.prototype.sort = function (key, how, ascending) {
    var keys = sortKeys(this.columns[key], how, this.n);
    var order = new Uint32Array(this.n);
    for (var i = 0; i < this.n; i += 1) { order[i] = i; }
    // Stable: equal keys keep the report's order, in either direction.
    order.sort(ascending ? function (a, b) { return keys[a] - keys[b] || a - b; }
      : function (a, b) { return keys[b] - keys[a] || a - b; });
    this.order = order;
    this.filter(this.keep);
  };
  View.prototype.filter = function (keep) {
    this.keep = keep;
    if (!keep) {
      this.shown = this.order;
    } else {
      var shown = new Uint32Array(this.n), count = 0, order = this.order;
      for (var i = 0; i < order.length; i += 1) { if (keep(order[i])) { shown[count] = order[i]; count += 1; } }
      this.shown = shown.subarray(0, count);
    }
    this.page = 0;
    this.count.textContent = number(this.shown.length);
    this.draw();
  };
  View.prototype.turn = function (step) {
    var last = Math.max(0, Math.ceil(this.shown.length / this.pageSize) - 1);
    this.page = Math.min(last, Math.max(0, this.page + step));
    this.draw();
  };
  View.prototype.draw = function (all) {
    var start = all ? 0 : this.page * this.pageSize;
    var stop = all ? this.shown.length : Math.min(this.shown.length, start + this.pageSize);
    var rows = document.createDocumentFragment();
    for (var i = start; i < stop; i += 1) { rows.appendChild(this.drawRow(this.shown[i])); }
    this.body.textContent = "";
    this.body.appendChild(rows);
    this.range.textContent = this.shown.length ? number(start + 1) + "-" + number(stop) + " of " + number(this.shown.length) : "none";
    this.prev.disabled = start === 0;
    this.next.disabled = stop >= this.shown.length;
  };

  function cell(row, value, className) {
    var td = document.createElement("td");
    td.textContent = value;
    if (className) { td.className = className; }
    row.appendChild(td);
    return td;
  }

  // ---- findings ----
  var f = data.findings;
  function findingRow(i) {
    var tr = document.createElement("tr");
    var claim = text(f.claim, i), severity = text(f.severity, i), where = text(f.where, i);
    tr.dataset.rule = text(f.rule, i);
    tr.dataset.severity = severity;
    tr.dataset.payer = text(f.payer, i);
    tr.dataset.claim = claim;
    cell(tr, claim || (f.row[i] ? "(rejected row)" : "(the file)"));
    cell(tr, text(f.line, i), "num");
    cell(tr, where || String(f.row[i]), "num");
    var sev = document.createElement("span");
    sev.className = "sev sev-" + severity;
    sev.textContent = severity;
    cell(tr, "").appendChild(sev);
    cell(tr, tr.dataset.rule).title = text(f.name, i);
    cell(tr, tr.dataset.payer);
    cell(tr, text(f.field, i));
    cell(tr, text(f.value, i), "value");
    var message = cell(tr, text(f.message, i) + " ");
    var fix = document.createElement("span");
    fix.className = "fix";
    fix.textContent = "Fix: " + text(f.hint, i);
    message.appendChild(fix);
    return tr;
  }
  var findings = new View("findings-table", f, f.n, findingRow, "shown-count");
  var controls = {
    rule: document.getElementById("filter-rule"),
    severity: document.getElementById("filter-severity"),
    payer: document.getElementById("filter-payer"),
    field: document.getElementById("filter-field"),
    claim: document.getElementById("filter-claim"),
    text: document.getElementById("filter-text")
  };

  // The codes of a dictionary whose value passes a test, as a lookup by code (distinct values only).
  function matching(column, test) {
    var hit = new Uint8Array(column.values.length);
    column.values.forEach(function (v, code) { hit[code] = test(v) ? 1 : 0; });
    return hit;
  }
  function codeOf(column, value) { return value ? column.values.indexOf(value) : null; }

  function applyFilters() {
    var wanted = [];
    ["rule", "severity", "payer", "field"].forEach(function (name) {
      var code = codeOf(f[name], controls[name].value);
      if (code !== null) { wanted.push([f[name].codes, code]); }
    });
    var claim = controls.claim.value.trim().toLowerCase();
    var exact = controls.claim.dataset.exact === "1";  // set by a claim's "show findings" button
    var claims = claim ? matching(f.claim, function (v) {
      return exact ? v.toLowerCase() === claim : v.toLowerCase().indexOf(claim) !== -1;
    }) : null;
    var words = controls.text.value.trim().toLowerCase();
    var values = null, messages = null;
    if (words) {
      var has = function (v) { return v.toLowerCase().indexOf(words) !== -1; };
      values = matching(f.value, has);
      messages = matching(f.message, has);
    }
    if (!wanted.length && !claims && !values) { findings.filter(null); return; }
    findings.filter(function (i) {
      for (var w = 0; w < wanted.length; w += 1) { if (wanted[w][0][i] !== wanted[w][1]) { return false; } }
      if (claims && !claims[f.claim.codes[i]]) { return false; }
      return !values || values[f.value.codes[i]] === 1 || messages[f.message.codes[i]] === 1;
    });
  }
  Object.keys(controls).forEach(function (name) {
    var typed = name === "claim" || name === "text";
    controls[name].addEventListener(typed ? "input" : "change", function () {
      if (name === "claim") { delete controls.claim.dataset.exact; }
      applyFilters();
    });
  });
  document.getElementById("filter-reset").addEventListener("click", function () {
    Object.keys(controls).forEach(function (name) { controls[name].value = ""; });
    delete controls.claim.dataset.exact;
    applyFilters();
  });

  // ---- claims with findings ----
  var c = data.claims;
  function showClaim(claim) {
    Object.keys(controls).forEach(function (name) { controls[name].value = ""; });
    controls.claim.value = claim;
    controls.claim.dataset.exact = "1";
    applyFilters();
    document.getElementById("findings").scrollIntoView();
  }
  function claimRow(i) {
    var tr = document.createElement("tr");
    var claim = text(c.claim, i);
    tr.dataset.claim = claim;
    cell(tr, claim);
    cell(tr, text(c.member, i));
    cell(tr, text(c.dates, i));
    cell(tr, text(c.payer, i));
    cell(tr, money(c.billed[i]), "num");
    cell(tr, number(c.error[i]), "num");
    cell(tr, number(c.warning[i]), "num");
    cell(tr, number(c.info[i]), "num");
    cell(tr, text(c.file, i));
    var button = document.createElement("button");
    button.type = "button";
    button.className = "show-claim";
    button.dataset.claim = claim;
    button.textContent = "show findings";
    button.addEventListener("click", function () { showClaim(claim); });
    cell(tr, "").appendChild(button);
    return tr;
  }
  if (c.n) {
    var claimsView = new View("claims-table", c, c.n, claimRow, "claims-count");
    var search = document.getElementById("claims-search"), errorsOnly = document.getElementById("claims-errors");
    var filterClaims = function () {
      var words = search.value.trim().toLowerCase();
      var has = function (v) { return v.toLowerCase().indexOf(words) !== -1; };
      var claims = words ? matching(c.claim, has) : null, members = words ? matching(c.member, has) : null;
      var errors = errorsOnly.checked;
      claimsView.filter(!words && !errors ? null : function (i) {
        if (errors && !c.error[i]) { return false; }
        return !claims || claims[c.claim.codes[i]] === 1 || members[c.member.codes[i]] === 1;
      });
    };
    search.addEventListener("input", filterClaims);
    errorsOnly.addEventListener("change", filterClaims);
    document.getElementById("claim-filters").addEventListener("submit", function (event) { event.preventDefault(); });
    claimsView.draw();
  }
  document.getElementById("filters").addEventListener("submit", function (event) { event.preventDefault(); });

  // Printed, every finding the filters keep is on paper, not just the page on screen.
  window.addEventListener("beforeprint", function () { findings.draw(true); });
  window.addEventListener("afterprint", function () { findings.draw(); });
  findings.draw();
  document.body.dataset.ready = "1";
})();
