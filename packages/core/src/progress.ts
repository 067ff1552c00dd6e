import { EtaEstimator } from './eta.js';
import { StatusLine, type TerminalStream } from './status-line.js';

/**
 * What a call reports while it runs: joblib's verbosity messages (same filter and formats, with
 * nJobs in the prefix), the onProgress callback, and the optional progress bar.
 */

export interface ProgressInfo {
  /** Tasks finished (successfully or not). */
  readonly completed: number;
  /** Tasks sent to the backend so far. */
  readonly dispatched: number;
  /** Number of tasks, once known: from the start for arrays, else when the input is exhausted. */
  readonly total: number | null;
  readonly elapsedMs: number;
  /** Estimated time left, once `total` is known and a few batches completed (see docs/progress.md). */
  readonly remainingMs: number | null;
  /** The batch size in use (auto-batching changes it). */
  readonly batchSize: number;
}

export interface ReporterOptions {
  readonly verbose: number;
  readonly progress: boolean;
  readonly onProgress: ((info: ProgressInfo) => void) | undefined;
  /** The requested nJobs, shown in the prefix as joblib does (`-1` stays `-1`). */
  readonly nJobsLabel: number;
  /** Length of the input when it is known up front (arrays). */
  readonly knownLength: number | null;
  readonly preDispatch: number;
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: TerminalStream;
  /** The clock, in ms (tests pass a fake one). */
  readonly now?: () => number;
}

/** joblib's short_format_time: ' %5.1fs' up to a minute, else '%4.1fmin'. */
export function shortFormatTime(seconds: number): string {
  return seconds > 60 ? `${(seconds / 60).toFixed(1).padStart(4)}min` : ` ${seconds.toFixed(1).padStart(5)}s`;
}

/** joblib's _verbosity_filter: true means "skip this message". */
export function verbosityFilter(index: number, verbose: number): boolean {
  if (!verbose) return true;
  if (verbose > 10) return false;
  if (index === 0) return false;
  const v = 0.5 * (11 - verbose) ** 2;
  return Math.trunc(Math.sqrt((index + 1) / v)) === Math.trunc(Math.sqrt(index / v));
}

export interface CallState {
  readonly completed: number;
  readonly dispatched: number;
  readonly dispatchedBatches: number;
  readonly inputExhausted: boolean;
  readonly batchSize: number;
  readonly finished: boolean;
}

export class ProgressReporter {
  private readonly now: () => number;
  private readonly start: number;
  private readonly eta = new EtaEstimator();
  /** The bar on a terminal, from its first draw until the call ends (null: none, or another bar is shown). */
  private line: StatusLine | null | undefined;
  private lastBarDraw = Number.NEGATIVE_INFINITY;
  private lastLineDecile = -1;
  /** Tasks completed at the last progress line: the final update must not repeat an identical line. */
  private lastLineCompleted = -1;

  constructor(private readonly options: ReporterOptions) {
    this.now = options.now ?? (() => performance.now());
    this.start = this.now();
  }

  /** The call ended (also on failure or cancellation): the bar stops taking over the streams. */
  close(): void {
    this.line?.close();
  }

  /** joblib's Parallel._print: `[Parallel(nJobs=2)]: msg`, stderr under verbose 50, stdout from 50. */
  print(message: string, force = false): void {
    const { verbose } = this.options;
    if (!verbose && !force) return;
    const out =
      verbose >= 50 ? (this.options.stdout ?? process.stdout) : (this.options.stderr ?? process.stderr);
    out.write(`[Parallel(nJobs=${this.options.nJobsLabel})]: ${message}\n`);
  }

  /** Printed on stdout (joblib prints its backend-switch notice there). */
  notice(message: string): void {
    (this.options.stdout ?? process.stdout).write(
      `[Parallel(nJobs=${this.options.nJobsLabel})]: ${message}\n`,
    );
  }

  elapsedMs(): number {
    return this.now() - this.start;
  }

  total(state: CallState): number | null {
    return state.inputExhausted ? state.dispatched : this.options.knownLength;
  }

  update(state: CallState): void {
    const elapsedMs = this.elapsedMs();
    const total = this.total(state);
    const { onProgress } = this.options;
    // the final update repeats the last batch's numbers: only the messages and the bar need it
    const remainingMs = state.finished
      ? this.eta.estimate(elapsedMs, state.completed, total)
      : this.eta.update(elapsedMs, state.completed, total);
    if (onProgress && !state.finished) {
      onProgress({
        completed: state.completed,
        dispatched: state.dispatched,
        total,
        elapsedMs,
        remainingMs,
        batchSize: state.batchSize,
      });
    }
    if (this.options.verbose) this.printProgress(state, elapsedMs);
    if (this.options.progress) this.drawProgress(state, total, elapsedMs, remainingMs);
  }

  private printProgress(state: CallState, elapsedMs: number): void {
    const { verbose, knownLength, preDispatch } = this.options;
    const width = knownLength !== null && knownLength > 0 ? Math.floor(Math.log10(knownLength)) + 1 : 3;
    const elapsed = shortFormatTime(elapsedMs / 1000);
    const n = (x: number) => String(x).padStart(width);
    if (state.finished) {
      this.print(`Done ${n(state.completed)} out of ${n(state.completed)} | elapsed: ${elapsed} finished`);
      return;
    }
    if (!state.inputExhausted) {
      if (verbosityFilter(state.dispatchedBatches, verbose)) return;
      const head =
        knownLength === null
          ? `Done ${n(state.completed)} tasks${' '.repeat('out of '.length + width - 'tasks'.length)}`
          : `Done ${n(state.completed)} out of ${n(knownLength)}`;
      this.print(`${head} | elapsed: ${elapsed}`);
      return;
    }
    const index = state.completed;
    const total = state.dispatched;
    // the last batch is reported by the "finished" line that follows
    if (index >= total) return;
    if (index !== 0) {
      // a message as soon as dispatching ends, then every total // verbose tasks
      const cursor = total - index + 1 - (Number.isFinite(preDispatch) ? preDispatch : 0);
      const frequency = Math.trunc(total / verbose) + 1;
      const isLastItem = index + 1 === total;
      if (isLastItem || ((cursor % frequency) + frequency) % frequency) return;
    }
    const remaining = index === 0 ? 0 : (elapsedMs / 1000 / index) * (total - index);
    this.print(
      `Done ${n(index)} out of ${n(total)} | elapsed: ${elapsed} remaining: ${shortFormatTime(remaining)}`,
    );
  }

  private drawProgress(
    state: CallState,
    total: number | null,
    elapsedMs: number,
    remainingMs: number | null,
  ): void {
    const err = this.options.stderr ?? process.stderr;
    const pct = total ? Math.min(100, Math.floor((state.completed / total) * 100)) : null;
    const elapsed = `${(elapsedMs / 1000).toFixed(1)}s`;
    // with a known total: 'eta …' until the estimate is meaningful; nothing once finished
    const eta =
      total === null || state.finished
        ? ''
        : ` eta ${remainingMs === null ? '…' : `${(remainingMs / 1000).toFixed(1)}s`}`;
    const count = total === null ? `${state.completed} tasks` : `${state.completed}/${total}`;
    if (err.isTTY) {
      const now = this.now();
      if (!state.finished && now - this.lastBarDraw < 100) return;
      this.lastBarDraw = now;
      if (this.line === undefined) this.line = StatusLine.open(err);
      if (this.line === null) return;
      const width = Math.max(10, Math.min(40, (err.columns ?? 80) - 50));
      const filled = pct === null ? 0 : Math.round((pct / 100) * width);
      const bar =
        pct === null
          ? ''
          : `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% `;
      const text = `${bar}${count} | ${elapsed}${eta}`;
      if (state.finished) this.line.close(text);
      else this.line.draw(text);
      return;
    }
    // not a terminal: one line per tenth of the work (or per doubling when the total is unknown)
    const step = pct === null ? Math.floor(Math.log2(Math.max(1, state.completed))) : Math.floor(pct / 10);
    if (step === this.lastLineDecile && (!state.finished || state.completed === this.lastLineCompleted))
      return;
    this.lastLineDecile = step;
    this.lastLineCompleted = state.completed;
    err.write(
      `[Parallel(nJobs=${this.options.nJobsLabel})] progress: ${count}${pct === null ? '' : ` (${pct}%)`} | elapsed ${elapsed}${eta}\n`,
    );
  }
}
