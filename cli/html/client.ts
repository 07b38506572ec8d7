/**
 * The page's own script (runs in the browser, after the bundled renderer): sorting the site table by
 * a click on a header, filtering it with the text box (the flame graph highlights the same text),
 * and drawing the flame graph from the JSON in `#ta-flame`. Reads nothing but the page.
 */
export const clientScript = `(function () {
  "use strict";
  // Bytes as the table writes them (B, KiB, MiB).
  function human(n) {
    n = Math.round(n);
    if (n < 1024) return n + " B";
    var units = ["KiB", "MiB", "GiB", "TiB"], u = -1;
    while (n >= 1024 && u < units.length - 1) { n /= 1024; u++; }
    return n.toFixed(1) + " " + units[u];
  }

  // --- the site table: sort and filter -------------------------------------------------------
  var table = document.getElementById("sites");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var filter = document.getElementById("filter");
  var shown = document.getElementById("shown");

  function sortBy(th) {
    var column = headers.indexOf(th);
    var numeric = th.dataset.type === "num";
    // First click: numbers largest first, text A to Z; a second click on the same header flips it.
    var order = th.getAttribute("aria-sort") === "descending" ? "ascending"
      : th.getAttribute("aria-sort") === "ascending" ? "descending"
      : numeric ? "descending" : "ascending";
    var sign = order === "ascending" ? 1 : -1;
    // Each row's key read once (reading the DOM inside the comparison is slow with many rows).
    var keyed = rows.map(function (row, i) {
      var v = row.cells[column].getAttribute("data-v");
      return { row: row, v: numeric ? Number(v) : v, i: Number(row.getAttribute("data-i")) };
    });
    keyed.sort(function (a, b) {
      return (a.v < b.v ? -1 : a.v > b.v ? 1 : 0) * sign || a.i - b.i;
    });
    rows = keyed.map(function (k) { return k.row; });
    headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", order);
    // Emptied first, then refilled at once: moving rows one by one within the table is slow.
    body.textContent = "";
    var fragment = document.createDocumentFragment();
    rows.forEach(function (r) { fragment.appendChild(r); });
    body.appendChild(fragment);
    showRows();
  }
  headers.forEach(function (th) {
    var button = th.querySelector("button");
    if (button) button.addEventListener("click", function () { sortBy(th); });
  });

  // At most "limit" rows are shown at once (a table of many thousand rows is slow to lay out):
  // the first ones, in the current order, that match the filter.
  var limit = Number(table.dataset.limit);
  var count = function (n) { return n.toLocaleString("en-US"); };
  function showRows() {
    var q = filter.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (r) {
      var match = q === "" || r.dataset.filter.indexOf(q) !== -1;
      if (match) n++;
      r.hidden = !match || n > limit;
    });
    var text = q === "" ? count(n) + " sites" : count(n) + " of " + count(rows.length) + " sites";
    if (n > limit) text += ", the first " + count(limit) + " shown (sort or filter for the others)";
    shown.textContent = text;
  }
  function applyFilter() {
    showRows();
    var q = filter.value.trim().toLowerCase();
    if (chart) { if (q === "") chart.clear(); else chart.search(q); }
  }
  filter.addEventListener("input", applyFilter);

  // --- the flame graph -------------------------------------------------------------------------
  var chart = null;
  var root = JSON.parse(document.getElementById("ta-flame").textContent);
  var place = document.getElementById("flamegraph");
  var details = document.getElementById("flame-details");
  if (root.value > 0) {
    var make = window.flamegraph.default || window.flamegraph;
    chart = make()
      .width(Math.max(place.clientWidth, 320))
      .cellHeight(18)
      .minFrameSize(1)
      .transitionDuration(250)
      .setDetailsElement(details)
      .setSearchMatch(function (d, term) {
        return term !== "" && d.data.name.toLowerCase().indexOf(term) !== -1;
      })
      .setSearchHandler(function (found, sum, total) {
        details.textContent = "matching: " + human(sum) + " of " + human(total) +
          " (" + (100 * sum / total).toFixed(1) + "%)";
      })
      .label(function (d) {
        return d.data.name + ": " + human(d.value) + " (" + (100 * d.value / root.value).toFixed(1) + "% of bytes allocated)";
      });
    window.d3.select(place).datum(root).call(chart);
  } else {
    place.textContent = "Nothing was allocated: no flame graph.";
  }
  applyFilter();
})();
`;
