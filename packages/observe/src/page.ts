/**
 * The dashboard's page: static HTML and a small script that renders each state pushed over SSE
 * (`/events`): workers, queue depth, calls with their progress, throughput (uPlot), recent errors.
 * Text goes through textContent only, never innerHTML: error messages come from tasks.
 */

const STYLE = `
body{font:14px system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 18px;display:flex;gap:18px;align-items:baseline}
header h1{font-size:17px;margin:0}#conn{font-size:12px;opacity:.8}
main{display:grid;grid-template-columns:1fr 1fr;gap:14px;padding:14px}
section{background:#fff;border-radius:8px;padding:10px 14px;box-shadow:0 1px 2px #0002}
section.wide{grid-column:1/3}h2{font-size:14px;margin:2px 0 8px;color:#4a5468}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:3px 6px;border-bottom:1px solid #eceef2;font-size:13px}
th{color:#6b7489;font-weight:600}progress{width:140px;vertical-align:middle}.num{font-variant-numeric:tabular-nums}
.failed{color:#c62828}.completed{color:#2e7d32}.running{color:#1565c0}.big{font-size:28px;font-weight:600}
.empty{color:#8a93a6;font-style:italic}`;

const SCRIPT = `
const token = new URLSearchParams(location.search).get('token');
const q = token ? '?token=' + encodeURIComponent(token) : '';
const $ = (id) => document.getElementById(id);
function cell(tr, text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); return td; }
function rows(id, items, empty, fill) {
  const body = $(id); body.replaceChildren();
  if (items.length === 0) { const tr = document.createElement('tr'); cell(tr, empty, 'empty').colSpan = 9; body.appendChild(tr); return; }
  for (const item of items) { const tr = document.createElement('tr'); fill(tr, item); body.appendChild(tr); }
}
const time = (ms) => new Date(ms).toLocaleTimeString();
// a call id: a UUID here, 'session.call' on NATS: its own part, shortened
const short = (id) => id.split('.').pop().slice(0, 8);
let plot = null;
function chart(tp) {
  const data = [tp.t, tp.tasks];
  if (plot) { plot.setData(data); return; }
  plot = new uPlot({ width: $('chart').clientWidth || 600, height: 180, scales: { x: { time: true } },
    series: [{}, { label: 'tasks/s', stroke: '#1565c0', fill: '#1565c022', width: 2 }] }, data, $('chart'));
}
function render(s) {
  document.title = s.title; $('title').textContent = s.title;
  $('queue').textContent = s.queueDepth === null ? '—' : String(s.queueDepth);
  $('queue-label').textContent = s.queueLabel;
  rows('workers', s.workers, 'no workers', (tr, w) => {
    cell(tr, w.id); cell(tr, w.version); cell(tr, w.running + ' / ' + w.capacity, 'num');
    const load = w.capacity > 0 ? Math.round(100 * w.running / w.capacity) : 0;
    const p = document.createElement('progress'); p.max = 100; p.value = load; cell(tr, '').appendChild(p);
  });
  rows('calls', s.calls, 'no calls yet', (tr, c) => {
    tr.dataset.call = c.id; tr.dataset.status = c.status;
    const total = c.total ?? c.dispatched; const done = c.completed + c.failed;
    const pct = total > 0 ? Math.floor(100 * done / total) : (c.status === 'completed' ? 100 : 0);
    cell(tr, short(c.id)); cell(tr, c.backend); cell(tr, c.status, c.status);
    const p = document.createElement('progress'); p.max = 100; p.value = pct; cell(tr, '').appendChild(p);
    cell(tr, pct + ' %', 'num pct'); cell(tr, done + ' / ' + (c.total ?? '?'), 'num');
    cell(tr, ((c.endedAt ?? s.now) - c.startedAt) / 1000 + ' s', 'num');
  });
  rows('errors', s.errors, 'no errors', (tr, e) => {
    tr.dataset.task = e.taskIndex ?? '';
    cell(tr, time(e.at)); cell(tr, short(e.callId)); cell(tr, e.taskIndex === null ? '—' : 'task ' + e.taskIndex, 'task');
    cell(tr, e.worker ?? '—'); cell(tr, e.name + ': ' + e.message, 'failed');
  });
  chart(s.throughput);
}
function connect() {
  const events = new EventSource('/events' + q);
  events.onopen = () => { $('conn').textContent = 'live'; };
  events.onmessage = (m) => render(JSON.parse(m.data));
  events.onerror = () => { $('conn').textContent = 'reconnecting…'; };
}
connect();`;

export function pageHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>parajob dashboard</title>
<link rel="stylesheet" href="/uplot.css"><style>${STYLE}</style><script src="/uplot.js"></script>
</head><body>
<header><h1 id="title">parajob</h1><span id="conn">connecting…</span></header>
<main>
<section><h2>Workers</h2><table><thead><tr><th>worker</th><th>version</th><th>batches</th><th>load</th></tr></thead><tbody id="workers"></tbody></table></section>
<section><h2>Queue depth (<span id="queue-label">tasks dispatched, not done</span>)</h2><div class="big num" id="queue">—</div></section>
<section class="wide"><h2>Calls</h2><table><thead><tr><th>call</th><th>backend</th><th>status</th><th>progress</th><th></th><th>tasks</th><th>time</th></tr></thead><tbody id="calls"></tbody></table></section>
<section class="wide"><h2>Throughput</h2><div id="chart"></div></section>
<section class="wide"><h2>Recent errors</h2><table><thead><tr><th>time</th><th>call</th><th>task</th><th>worker</th><th>error</th></tr></thead><tbody id="errors"></tbody></table></section>
</main>
<script>${SCRIPT}</script>
</body></html>`;
}
