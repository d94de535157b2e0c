// Sorting and filtering of the device table. The data is the JSON in #device-data, one
// entry per device body in the order written; nothing is fetched or evaluated.
(function () {
  'use strict';
  var table = document.getElementById('devices');
  var source = document.getElementById('device-data');
  if (!table || !source) { return; }
  var rows = JSON.parse(source.textContent).rows;
  var bodies = Array.prototype.slice.call(table.tBodies);
  var form = document.getElementById('device-filters');
  var severity = document.getElementById('f-severity');
  var kind = document.getElementById('f-kind');
  var code = document.getElementById('f-code');
  var search = document.getElementById('f-id');
  var status = document.getElementById('f-status');
  form.hidden = false;
  form.addEventListener('submit', function (event) { event.preventDefault(); });

  function filter() {
    var least = severity.value === '' ? 0 : Number(severity.value);
    var wanted = search.value.trim().toLowerCase();
    var shown = 0;
    bodies.forEach(function (body) {
      var row = rows[Number(body.getAttribute('data-index'))];
      var keep = row.s >= least &&
        (kind.value === '' || row.k.indexOf(kind.value) >= 0) &&
        (code.value === '' || row.c.indexOf(code.value) >= 0) &&
        (wanted === '' || row.id.toLowerCase().indexOf(wanted) >= 0);
      body.hidden = !keep;
      if (keep) { shown += 1; }
    });
    status.textContent = shown + ' of ' + bodies.length + ' listed identities shown';
  }

  function compare(key, a, b) {
    var x = rows[Number(a.getAttribute('data-index'))][key];
    var y = rows[Number(b.getAttribute('data-index'))][key];
    if (x < y) { return -1; }
    if (x > y) { return 1; }
    return 0;
  }

  var headers = Array.prototype.slice.call(table.tHead.querySelectorAll('th[aria-sort]'));
  headers.forEach(function (header) {
    var button = header.querySelector('button');
    button.addEventListener('click', function () {
      var key = button.getAttribute('data-key');
      // Names read best from A, counts and severities from the most.
      var first = key === 'id' ? 'ascending' : 'descending';
      var other = first === 'ascending' ? 'descending' : 'ascending';
      var next = header.getAttribute('aria-sort') === first ? other : first;
      headers.forEach(function (other) { other.setAttribute('aria-sort', 'none'); });
      header.setAttribute('aria-sort', next);
      var sign = next === 'ascending' ? 1 : -1;
      bodies.sort(function (a, b) {
        return sign * compare(key, a, b) ||
          Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index'));
      });
      bodies.forEach(function (body) { table.appendChild(body); });
    });
  });
  [severity, kind, code].forEach(function (input) { input.addEventListener('change', filter); });
  search.addEventListener('input', filter);
  filter();
}());
