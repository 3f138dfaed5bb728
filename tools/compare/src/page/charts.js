// The charts of comparison.html, drawn with Chart.js (inlined above this script) from the JSON
// in <script id="figures">. Plain browser JavaScript, no build step. Animations are off so that
// a chart is fully drawn as soon as it is created (and a headless browser can check it).
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('figures').textContent);
  var palette = ['#2563eb', '#f59e0b', '#dc2626', '#16a34a', '#9333ea', '#0891b2', '#db2777', '#65a30d', '#ea580c', '#475569'];
  var resultColours = { hit: '#16a34a', stale: '#84cc16', negative: '#0891b2', coalesced: '#9333ea', miss: '#f59e0b', bypass: '#dc2626' };
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';

  var drawn = 0;
  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, config);
    drawn += 1;
  }
  // Only 1, 2 and 5 times a power of ten are labelled on a log axis (0.1 0.2 0.5 1 2 5 10 ...).
  function oneTwoFive(value) {
    var mantissa = value / Math.pow(10, Math.floor(Math.log10(value) + 1e-9));
    var labelled = [1, 2, 5].some(function (m) { return Math.abs(mantissa - m) < 1e-6; });
    return labelled ? String(Number(value.toPrecision(2))) : '';
  }
  // Latencies span four orders of magnitude (a near-cache hit to a filter rebuild): a log axis.
  function bars(labels, datasets, axisTitle, horizontal, logarithmic) {
    var axis = logarithmic ? { type: 'logarithmic', ticks: { callback: oneTwoFive }, title: { display: true, text: axisTitle + ' (log scale)' } } : { beginAtZero: true, title: { display: true, text: axisTitle } };
    return {
      type: 'bar',
      data: { labels: labels, datasets: datasets },
      options: {
        indexAxis: horizontal ? 'y' : 'x',
        scales: horizontal ? { x: axis } : { y: axis },
        plugins: { legend: { position: 'top' } },
      },
    };
  }
  function percentileSets(values) {
    return ['p50', 'p95', 'p99'].map(function (p, i) {
      return { label: p, data: values.map(function (v) { return v ? v[p] : null; }), backgroundColor: palette[i] };
    });
  }

  var rows = data.rows;
  draw('chart-request-latency', bars(rows.map(function (r) { return r.label; }), percentileSets(rows.map(function (r) { return r.requestMs; })), 'ms', true, true));
  var cached = rows.filter(function (r) { return r.cacheMs; });
  draw('chart-cache-latency', bars(cached.map(function (r) { return r.label; }), percentileSets(cached.map(function (r) { return r.cacheMs; })), 'ms', true, true));
  draw('chart-origin', bars(rows.map(function (r) { return r.label; }), [
    { label: 'origin loads per request', data: rows.map(function (r) { return r.originLoadsPerRequest; }), backgroundColor: palette[1] },
    { label: 'database calls per request (Prisma)', data: rows.map(function (r) { return r.dbCallsPerRequest; }), backgroundColor: palette[4] },
    { label: 'SQL statements per request', data: rows.map(function (r) { return r.dbQueriesPerRequest; }), backgroundColor: palette[2] },
    { label: 'Redis calls per request', data: rows.map(function (r) { return r.redisCallsPerRequest; }), backgroundColor: palette[0] },
  ], 'per request', true));

  var timeline = data.timeline;
  if (timeline.labels.length > 0) {
    draw('chart-hit-ratio', {
      type: 'line',
      data: {
        labels: timeline.labels,
        datasets: timeline.hitRatio.map(function (s, i) {
          return { label: s.service, data: s.values, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], spanGaps: true, tension: 0.2 };
        }),
      },
      options: { scales: { y: { min: 0, max: 100, title: { display: true, text: '% of cached reads answered from the cache' } }, x: { title: { display: true, text: 'time (UTC)' } } } },
    });
    draw('chart-results', {
      type: 'bar',
      data: {
        labels: timeline.labels,
        datasets: timeline.results.map(function (s, i) {
          return { label: s.result, data: s.values, backgroundColor: resultColours[s.result] || palette[i % palette.length] };
        }),
      },
      options: { scales: { x: { stacked: true, title: { display: true, text: 'time (UTC)' } }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'cached reads' } } } },
    });
  }

  (data.lab || []).forEach(function (comparison, index) {
    draw('chart-lab-' + index, {
      type: 'bar',
      data: {
        labels: comparison.rows.map(function (r) { return r.variant; }),
        datasets: [{
          label: comparison.metric + (comparison.unit ? ' (' + comparison.unit + ')' : ''),
          data: comparison.rows.map(function (r) { return r.value; }),
          backgroundColor: comparison.rows.map(function (r) { return r.wrongOnPurpose ? '#dc2626' : '#16a34a'; }),
        }],
      },
      options: {
        indexAxis: 'y',
        scales: { x: { beginAtZero: true, title: { display: true, text: comparison.unit || comparison.metric } } },
        plugins: { legend: { display: false }, subtitle: { display: true, text: (comparison.lowerIsBetter ? 'lower is better' : 'higher is better') + ' · red: wrong on purpose' } },
      },
    });
  });

  document.body.dataset.charts = String(drawn);
})();
