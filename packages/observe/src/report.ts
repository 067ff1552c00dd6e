/**
 * A run report, after Dask's `performance_report`: record the calls made inside `body` and write
 * one self-contained HTML file (uPlot and the data inlined, nothing fetched): the batches as a
 * stream per worker slot over time, batch durations, and the errors with their task.
 *
 *   await performanceReport('run.html', () => new Parallel({ nJobs: -1 }).run(tasks));
 *
 * A driver sees a batch from its submit to its result, so a bar is queue wait and run time
 * together; slots are the call's concurrent batches (at most its workers), numbered as they free up.
 * When the backend's answer says how long the worker ran it (worker threads, child processes,
 * gRPC), the report splits each batch's time into queue wait and run time.
 */
import { writeFile } from 'node:fs/promises';
import type { CallInfo } from '@parajob/core/backend';
import { asset } from './assets.js';
import { type CallListener, isCancellation, listen } from './hub.js';
import { describeError, type ErrorView } from './tracker.js';

export interface BatchRecord {
  readonly callId: string;
  readonly first: number;
  readonly size: number;
  readonly slot: number;
  /** ms since the recording started */
  readonly start: number;
  end: number;
  /** How long a worker ran it (ms), when the backend says; `end - start - runMs` is its queue wait. */
  runMs: number | null;
  error: string | null;
}

export interface CallRecord {
  readonly info: CallInfo;
  readonly start: number;
  end: number | null;
  error: string | null;
}

export interface RunRecording {
  readonly startedAt: number;
  readonly calls: CallRecord[];
  readonly batches: BatchRecord[];
  readonly errors: ErrorView[];
}

/** Bounds memory on huge runs: batches past this are counted in the summary but not drawn. */
const MAX_BATCHES = 200_000;

export class RunRecorder implements CallListener {
  readonly recording: RunRecording = { startedAt: Date.now(), calls: [], batches: [], errors: [] };
  private readonly open = new Map<string, BatchRecord>();
  private readonly busy = new Map<string, boolean[]>();
  private readonly byId = new Map<string, CallRecord>();
  dropped = 0;

  private rel(at: number): number {
    return at - this.recording.startedAt;
  }

  callStarted(info: CallInfo, at: number): void {
    const call: CallRecord = { info, start: this.rel(at), end: null, error: null };
    this.byId.set(info.callId, call);
    this.recording.calls.push(call);
    this.busy.set(info.callId, []);
  }

  batchStarted(callId: string, first: number, size: number, at: number): void {
    const slots = this.busy.get(callId);
    if (!slots) return;
    let slot = slots.indexOf(false);
    if (slot < 0) slot = slots.push(true) - 1;
    else slots[slot] = true;
    const record: BatchRecord = {
      callId,
      first,
      size,
      slot,
      start: this.rel(at),
      end: this.rel(at),
      runMs: null,
      error: null,
    };
    this.open.set(`${callId}:${first}`, record);
    if (this.recording.batches.length < MAX_BATCHES) this.recording.batches.push(record);
    else this.dropped++;
  }

  batchEnded(
    callId: string,
    first: number,
    _size: number,
    at: number,
    _ms: number,
    error: unknown,
    _failed: number,
    runMs: number | null,
  ): void {
    const key = `${callId}:${first}`;
    const record = this.open.get(key);
    if (!record) return;
    this.open.delete(key);
    this.busy.get(callId)![record.slot] = false;
    record.end = this.rel(at);
    record.runMs = runMs;
    if (error !== undefined && !isCancellation(error)) {
      const e = describeError(error, first);
      record.error = `${e.name}: ${e.message}`;
      this.recording.errors.push({ at, callId, ...e });
    }
  }

  taskFailed(callId: string, taskIndex: number, at: number, error: unknown): void {
    this.recording.errors.push({ at, callId, ...describeError(error, taskIndex) });
    const record = this.open.get(`${callId}:${taskIndex}`) ?? this.lastBatchOf(callId, taskIndex);
    if (record && record.error === null) record.error = describeError(error, taskIndex).message;
  }

  private lastBatchOf(callId: string, taskIndex: number): BatchRecord | undefined {
    for (let i = this.recording.batches.length - 1; i >= 0; i--) {
      const b = this.recording.batches[i]!;
      if (b.callId === callId && taskIndex >= b.first && taskIndex < b.first + b.size) return b;
    }
    return undefined;
  }

  callEnded(callId: string, at: number, error: unknown): void {
    const call = this.byId.get(callId);
    if (!call) return;
    call.end = this.rel(at);
    if (error !== undefined) {
      call.error = describeError(error, null).message;
      // a call that failed outside its batches (run in the caller, or its input threw) still lists why
      if (!isCancellation(error) && !this.recording.errors.some((e) => e.callId === callId))
        this.recording.errors.push({ at, callId, ...describeError(error, null) });
    }
    this.busy.delete(callId);
  }
}

/** Records every call of this process from now on; `finish()` stops and writes the report to `path`. */
export function recordRun(path: string): { finish(): Promise<void> } {
  const recorder = new RunRecorder();
  const stop = listen(recorder);
  let finished: Promise<void> | undefined;
  return {
    finish() {
      finished ??= (async () => {
        stop();
        await writeFile(path, reportHtml(recorder.recording));
      })();
      return finished;
    },
  };
}

/** Runs `body`, recording every Parallel call it makes, then writes the report to `path` (also when body fails). */
export async function performanceReport<T>(path: string, body: () => T | Promise<T>): Promise<T> {
  const recording = recordRun(path);
  try {
    return await body();
  } finally {
    await recording.finish();
  }
}

/** JSON safe to put inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

export function reportHtml(recording: RunRecording): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>parajob run report</title>
<style>${asset('/uplot.css')}
body{font:14px system-ui,sans-serif;margin:18px;color:#1d2330}h1{font-size:20px}h2{font-size:15px;color:#4a5468;margin-top:22px}
table{border-collapse:collapse}td,th{text-align:left;padding:3px 8px;border-bottom:1px solid #eceef2;font-size:13px}
.failed{color:#c62828}.num{font-variant-numeric:tabular-nums}</style>
<script>${asset('/uplot.js')}</script></head><body>
<h1>parajob run report</h1>
<p id="summary"></p>
<h2>Calls</h2><table><thead><tr><th>call</th><th>backend</th><th>workers</th><th>tasks</th><th>batches</th><th>time</th><th>outcome</th></tr></thead><tbody id="calls"></tbody></table>
<h2>Task stream (one row per worker slot; a bar is a run of batches, a dot where one ends and the next starts; a batch counts from submit to result: queue wait and run time)</h2><div id="stream"></div>
<h2>Batch durations: queue wait and run time</h2><p id="split"></p><div id="durations"></div>
<h2>Errors</h2><table><thead><tr><th>call</th><th>task</th><th>worker</th><th>error</th></tr></thead><tbody id="errors"></tbody></table>
<script>const RUN = ${scriptJson(recording)};
${REPORT_SCRIPT}</script></body></html>`;
}

const REPORT_SCRIPT = `
const $ = (id) => document.getElementById(id);
function row(body, cells, cls) { const tr = document.createElement('tr'); for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.appendChild(td); } if (cls) tr.className = cls; $(body).appendChild(tr); return tr; }
const tasks = RUN.batches.reduce((n, b) => n + b.size, 0);
const end = RUN.calls.reduce((n, c) => Math.max(n, c.end ?? 0), 0);
$('summary').textContent = RUN.calls.length + ' call(s), ' + tasks + ' tasks in ' + RUN.batches.length + ' batches, ' + (end / 1000).toFixed(3) + ' s, ' + RUN.errors.length + ' error(s)';
const outcome = (c) => {
  const failed = RUN.errors.filter((e) => e.callId === c.info.callId).length;
  return failed ? 'completed, ' + failed + ' task(s) failed' : 'completed';
};
for (const c of RUN.calls) {
  const bs = RUN.batches.filter((b) => b.callId === c.info.callId);
  row('calls', [c.info.callId.slice(0, 8), c.info.backend, String(c.info.workers), String(bs.reduce((n, b) => n + b.size, 0)), String(bs.length), (((c.end ?? c.start) - c.start) / 1000).toFixed(3) + ' s', c.error ? 'failed: ' + c.error : outcome(c)], c.error ? 'failed' : '');
}
for (const e of RUN.errors) row('errors', [e.callId.slice(0, 8), e.taskIndex === null ? '—' : 'task ' + e.taskIndex, e.worker ?? '—', e.name + ': ' + e.message], 'failed');
if (RUN.errors.length === 0) row('errors', ['no errors']);
// the task stream: one series per slot, the slot's number while a batch runs, null between batches
const slots = RUN.batches.reduce((n, b) => Math.max(n, b.slot + 1), 0);
const xs = [...new Set(RUN.batches.flatMap((b) => [b.start, b.end]))].sort((a, b) => a - b);
const at = new Map(xs.map((x, i) => [x, i]));
const lanes = Array.from({ length: slots }, () => new Array(xs.length).fill(null));
const fails = new Array(xs.length).fill(null);
for (const b of RUN.batches) {
  for (let i = at.get(b.start); i <= at.get(b.end); i++) lanes[b.slot][i] = b.slot + 1;
  if (b.error) fails[at.get(b.end)] = b.slot + 1;
}
const colors = ['#1565c0', '#2e7d32', '#6a1b9a', '#ef6c00', '#00838f', '#5d4037', '#ad1457', '#455a64'];
const width = Math.min(1100, document.body.clientWidth - 20);
new uPlot({ width, height: 60 + 26 * Math.max(slots, 1), scales: { x: { time: false } },
  axes: [{ label: 'ms since start' }, { label: 'slot', values: (u, v) => v.map((n) => Number.isInteger(n) ? String(n) : '') }],
  series: [{ label: 'ms' }, ...lanes.map((_, i) => ({ label: 'slot ' + (i + 1), stroke: colors[i % colors.length], width: 10, spanGaps: false, points: { show: true, size: 6, stroke: '#fff', fill: colors[i % colors.length] } })),
    { label: 'failed', stroke: '#c62828', width: 0, points: { show: true, size: 12, fill: '#c62828' } }] },
  [xs, ...lanes, fails], $('stream'));
const ds = RUN.batches.map((b) => b.end - b.start);
// the split, for the batches whose worker said how long it ran them
const split = RUN.batches.filter((b) => b.runMs !== null);
const waits = RUN.batches.map((b) => b.runMs === null ? null : Math.max(0, b.end - b.start - b.runMs));
const runs = RUN.batches.map((b) => b.runMs);
const total = (xs) => xs.reduce((n, x) => n + (x ?? 0), 0) / 1000;
$('split').textContent = split.length === 0
  ? 'The backend does not say how long its workers ran each batch: a duration is queue wait and run time together.'
  : split.length + ' of ' + RUN.batches.length + ' batches split: ' + total(waits).toFixed(3) + ' s queue wait (transport included), ' + total(runs).toFixed(3) + ' s run time in total';
new uPlot({ width, height: 200, scales: { x: { time: false } }, axes: [{ label: 'batch' }, { label: 'ms' }],
  series: [{}, { label: 'batch duration (ms)', stroke: '#1565c0', width: 1, points: { show: true, size: 4 } },
    { label: 'queue wait (ms)', stroke: '#ef6c00', width: 1, points: { show: true, size: 4 } },
    { label: 'run time (ms)', stroke: '#2e7d32', width: 1, points: { show: true, size: 4 } }] },
  [ds.map((_, i) => i), ds, waits, runs], $('durations'));
`;
