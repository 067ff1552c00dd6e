import { afterEach, describe, expect, it } from 'vitest';
import { ETA_MIN_UPDATES, EtaEstimator } from '../src/eta.js';
import { type CallState, type ProgressInfo, ProgressReporter } from '../src/progress.js';
import { log } from '../src/status-line.js';

/** A terminal as the bar sees it: no real TTY needed. */
function fakeTerminal() {
  const writes: string[] = [];
  const stream = {
    isTTY: true,
    columns: 80,
    write(chunk: unknown, cb?: unknown) {
      writes.push(String(chunk));
      if (typeof cb === 'function') cb();
      return true;
    },
  };
  return { stream, writes };
}

function state(completed: number, total: number, finished = false): CallState {
  return {
    completed,
    dispatched: total,
    dispatchedBatches: completed,
    inputExhausted: true,
    batchSize: 1,
    finished,
  };
}

/** Replaces process.stdout.write for the test (the bar wraps whatever is there when it starts). */
const saved: Array<() => void> = [];
function captureProcess(name: 'stdout' | 'stderr'): string[] {
  const out: string[] = [];
  const stream = process[name] as unknown as { write: unknown };
  const had = Object.hasOwn(stream, 'write');
  const previous = stream.write;
  stream.write = (chunk: unknown) => {
    out.push(String(chunk));
    return true;
  };
  saved.push(() => {
    if (had) stream.write = previous;
    else delete (stream as { write?: unknown }).write;
  });
  return out;
}
afterEach(() => {
  for (const restore of saved.splice(0).reverse()) restore();
});

function reporter(terminal: object, clock: { t: number }, onProgress?: (p: ProgressInfo) => void) {
  return new ProgressReporter({
    verbose: 0,
    progress: true,
    onProgress,
    nJobsLabel: 2,
    knownLength: 100,
    preDispatch: 4,
    stderr: terminal as never,
    now: () => clock.t,
  });
}

describe('progress bar on a terminal', () => {
  it('keeps foreign output and log() above the bar, redrawn after each line, never split', () => {
    const { stream, writes } = fakeTerminal();
    const stdout = captureProcess('stdout');
    const stderr = captureProcess('stderr');
    const clock = { t: 0 };
    const r = reporter(stream, clock);
    clock.t = 1000;
    r.update(state(10, 100));
    const bar = writes.at(-1)!;
    expect(bar).toMatch(/^\r\[#+\.+\] +10% 10\/100 \| 1\.0s eta …\x1b\[K$/);
    const barText = bar.slice(1, -3);

    stream.write('from the bar stream\n');
    expect(writes.slice(-3)).toEqual(['\r\x1b[K', 'from the bar stream\n', `\r${barText}\x1b[K`]);

    // a partial line waits for its newline: the bar is not split by it
    const before = writes.length;
    process.stderr.write('par');
    expect(writes.length).toBe(before);
    expect(stderr).toEqual([]);
    process.stderr.write(Buffer.from('tial\n'));
    expect(stderr).toEqual(['partial\n']);
    expect(writes.slice(-2)).toEqual(['\r\x1b[K', `\r${barText}\x1b[K`]);

    log('task', 7, { ok: true });
    expect(stdout).toEqual(['task 7 { ok: true }\n']);
    expect(writes.slice(-2)).toEqual(['\r\x1b[K', `\r${barText}\x1b[K`]);

    process.stdout.write('unfinished');
    clock.t = 2000;
    r.update(state(100, 100, true));
    expect(writes.at(-1)).toMatch(/^\r\[#+\] 100% 100\/100 \| 2\.0s\x1b\[K\n$/);
    // the partial line follows the final bar, and the streams are given back
    expect(stdout.at(-1)).toBe('unfinished');
    process.stdout.write('after\n');
    expect(stdout.at(-1)).toBe('after\n');
    expect(writes.filter((w) => w.includes('after'))).toEqual([]);
  });

  it('gives the streams back when the call ends without finishing (failure, cancellation)', () => {
    const { stream, writes } = fakeTerminal();
    const stdout = captureProcess('stdout');
    const r = reporter(stream, { t: 0 });
    r.update(state(1, 100));
    process.stdout.write('during\n');
    expect(writes.at(-1)).toMatch(/1\/100/);
    r.close();
    expect(writes.at(-1)).toMatch(/1\/100.*\n$/);
    const count = writes.length;
    process.stdout.write('after\n');
    expect(stdout).toEqual(['during\n', 'after\n']);
    expect(writes.length).toBe(count);
  });

  it('log() prints plainly when no bar is shown', () => {
    const stdout = captureProcess('stdout');
    log('hello %s', 'world');
    expect(stdout).toEqual(['hello world\n']);
  });

  it('draws one bar at a time: a second concurrent bar draws nothing', () => {
    const first = fakeTerminal();
    const second = fakeTerminal();
    const a = reporter(first.stream, { t: 0 });
    const b = reporter(second.stream, { t: 0 });
    a.update(state(1, 100));
    b.update(state(1, 100));
    expect(second.writes).toEqual([]);
    a.close();
    b.close();
  });
});

describe('ETA', () => {
  it('is withheld until a few batches completed, and excludes start-up from the rate', () => {
    const estimator = new EtaEstimator();
    // first result after 10 s of worker start-up, then one task every 10 ms
    expect(estimator.update(10_000, 10, 1000)).toBeNull();
    let t = 10_000;
    let done = 10;
    const seen: Array<number | null> = [];
    for (let i = 0; i < ETA_MIN_UPDATES + 5; i++) {
      t += 100;
      done += 10;
      seen.push(estimator.update(t, done, 1000));
    }
    expect(seen.slice(0, ETA_MIN_UPDATES - 1)).toEqual(Array(ETA_MIN_UPDATES - 1).fill(null));
    const last = seen.at(-1)!;
    // 1000 - 90 tasks left at 10 ms each
    expect(last).toBeCloseTo((1000 - done) * 10, 5);
  });

  it('is withheld until a minimum share of the tasks is done', () => {
    const estimator = new EtaEstimator();
    for (let i = 1; i <= 10; i++) expect(estimator.update(i * 100, i, 10_000)).toBeNull();
  });

  it('shows "eta …" on the bar and null remainingMs until then', () => {
    const { stream, writes } = fakeTerminal();
    const clock = { t: 0 };
    const infos: ProgressInfo[] = [];
    const r = reporter(stream, clock, (p) => infos.push(p));
    for (let done = 10; done <= 90; done += 10) {
      clock.t += 1000;
      r.update(state(done, 100));
    }
    expect(infos[0]!.remainingMs).toBeNull();
    expect(writes.find((w) => w.includes('10/100'))).toMatch(/eta …/);
    // rate since the first result: 1 s per 10 tasks, 10 left
    expect(infos.at(-1)!.remainingMs).toBeCloseTo(1000, 5);
    expect(writes.at(-1)).toMatch(/90\/100 \| 9\.0s eta 1\.0s/);
    r.close();
  });
});
