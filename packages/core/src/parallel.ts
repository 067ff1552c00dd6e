/**
 * Parallel: the user's entry point. Validates options once at construction, resolves the backend
 * from explicit options and the parallelConfig scope, configures it at the first call and keeps it
 * until close(); each call is a scheduler `Call`.
 */
import { AutoBatching } from './auto-batching.js';
import type { BackendContext, ParallelBackend } from './backend.js';
import { currentScope } from './config.js';
import type { Delayed } from './delayed.js';
import { CallCancelledError } from './errors.js';
import { type PreDispatch, parsePreDispatch, resolvePreDispatch } from './expression.js';
import { type CallObserver, currentInstrumentation, observedBackend } from './instrumentation.js';
import { messages } from './messages.js';
import {
  checkPreferRequire,
  type Prefer,
  type Require,
  rejectUnknownKeys,
  validateBackend,
  validateBatchSize,
  validateBoolean,
  validateFunction,
  validateMaxNbytes,
  validateNJobs,
  validatePrefer,
  validateRequire,
  validateSignal,
  validateTempFolder,
  validateTimeout,
  validateVerbose,
} from './options.js';
import { type ProgressInfo, ProgressReporter } from './progress.js';
import { resolveBackend } from './resolve.js';
import type { OutputMode } from './results.js';
import { Call, type CallParams } from './scheduler.js';
import { nestedBackendOf } from './sequential.js';
import { taskModuleBeingImported } from './task.js';

/** Parallel calls nested deeper than this fail instead of exhausting the machine. */
export const MAX_NESTING_DEPTH = 10;

export interface ParallelOptions {
  /** -1 all CPUs, -2 all but one, N workers; null: the parallelConfig value, else 1 (run in the caller). */
  nJobs?: number | null;
  /** A registered backend name or a backend instance; default: parallelConfig's, else the registered default. */
  backend?: string | ParallelBackend | null;
  /** Soft hint used only when no backend was chosen. */
  prefer?: Prefer | null;
  /** Hard constraint: tasks run in-process and see the caller's memory. */
  require?: Require | null;
  /** joblib's progress messages: 0 silent, 10 every batch, 50+ on stdout. */
  verbose?: number | boolean;
  /** A progress bar on stderr when it is a terminal, periodic lines otherwise. */
  progress?: boolean;
  /** Called after every completed batch, for every backend including nJobs 1. */
  onProgress?: (info: ProgressInfo) => void;
  /** Per-task limit in ms, counted from when the task starts running. */
  timeout?: number | null;
  /** Tasks pulled from the input ahead of completions: a number, 'all', or an expression such as '2 * nJobs'. */
  preDispatch?: number | string;
  /** Tasks per batch, or 'auto' (joblib's heuristic: batches of 0.2 s to 2 s). */
  batchSize?: number | 'auto';
  /** Typed arrays / ArrayBuffers over this size are shared with workers instead of copied; null disables. */
  maxNbytes?: number | string | null;
  /** Where process backends keep shared large buffers. */
  tempFolder?: string | null;
  /** Aborting rejects the call with the signal's reason and stops its tasks. */
  signal?: AbortSignal;
}

const OPTION_NAMES = [
  'nJobs',
  'backend',
  'prefer',
  'require',
  'verbose',
  'progress',
  'onProgress',
  'timeout',
  'preDispatch',
  'batchSize',
  'maxNbytes',
  'tempFolder',
  'signal',
] as const;

interface Settings {
  readonly nJobs: number;
  readonly verbose: number;
  readonly progress: boolean;
  readonly onProgress: ((info: ProgressInfo) => void) | undefined;
  readonly timeout: number | null;
  readonly preDispatch: PreDispatch;
  readonly batchSize: number | 'auto';
  readonly maxNbytes: number | null;
  readonly tempFolder: string | null;
  readonly innerMaxNumThreads: number | null;
  readonly signal: AbortSignal | undefined;
}

type TaskInput<D> = Iterable<D> | AsyncIterable<D>;
/** What a delayed call resolves to; distributes over unions, so mixed sync and async tasks type-check. */
export type ResultOf<D> = D extends Delayed<infer R> ? Awaited<R> : never;

export class Parallel {
  /** The backend this instance uses (resolved at construction from options and parallelConfig). */
  readonly backend: ParallelBackend;
  private readonly settings: Settings;
  private readonly nestingLevel: number;
  private readonly depth: number;
  private configured: Promise<number> | undefined;
  /** The call in progress; 'starting' while the first call waits for configure(). */
  private running: Call | 'starting' | undefined;
  private closed = false;
  private warnedTimeout = false;
  /** Auto-batching kept across this instance's calls: one for the pool, one for nJobs 1 (in the caller). */
  private readonly poolBatching = new AutoBatching();
  private readonly callerBatching = new AutoBatching();
  /** Calls observed by the instrumentation hook (none unless one is installed). */
  private readonly observers = new Map<Call, CallObserver>();
  /** Each running call's reporter: its progress bar is taken down when the call ends, however it ends. */
  private readonly reporters = new Map<Call, ProgressReporter>();

  constructor(options: ParallelOptions = {}) {
    if (options === null || typeof options !== 'object')
      throw new TypeError('new Parallel(options): options must be an object');
    rejectUnknownKeys(options, OPTION_NAMES);
    const scope = currentScope();
    const cfg = scope.config;
    const explicitNJobs = validateNJobs(options.nJobs);
    const prefer = validatePrefer(options.prefer);
    const require = validateRequire(options.require);
    checkPreferRequire(prefer, require);
    const verbose = options.verbose === undefined ? (cfg.verbose ?? 0) : validateVerbose(options.verbose);
    const notices: string[] = [];
    const { backend, nJobs } = resolveBackend(
      {
        backend: validateBackend(options.backend),
        nJobs: explicitNJobs,
        prefer,
        require,
        notice: (m) => notices.push(m),
      },
      scope,
    );
    this.backend = backend;
    this.nestingLevel = scope.nestingLevel;
    this.depth = scope.depth;
    this.settings = {
      nJobs,
      verbose,
      progress: validateBoolean('progress', options.progress),
      onProgress: validateFunction('onProgress', options.onProgress),
      timeout: options.timeout === undefined ? (cfg.timeout ?? null) : validateTimeout(options.timeout),
      preDispatch: parsePreDispatch(options.preDispatch ?? '2 * nJobs'),
      batchSize: validateBatchSize(options.batchSize),
      maxNbytes:
        options.maxNbytes === undefined
          ? cfg.maxNbytes !== undefined
            ? cfg.maxNbytes
            : validateMaxNbytes(undefined)
          : validateMaxNbytes(options.maxNbytes),
      tempFolder:
        options.tempFolder === undefined ? (cfg.tempFolder ?? null) : validateTempFolder(options.tempFolder),
      innerMaxNumThreads: cfg.innerMaxNumThreads ?? null,
      signal: validateSignal(options.signal),
    };
    if (verbose >= 10) for (const n of notices) this.reporter(null).notice(n);
  }

  /** The requested nJobs (after parallelConfig), e.g. -1. */
  get nJobs(): number {
    return this.settings.nJobs;
  }

  toString(): string {
    return `Parallel(nJobs=${this.settings.nJobs})`;
  }

  /** Runs every task; resolves to the results in input order. The first failing task rejects the call. */
  async run<D extends Delayed<unknown>>(tasks: TaskInput<D>): Promise<ResultOf<D>[]> {
    const call = await this.begin(tasks, 'list');
    try {
      return (await call.results()) as ResultOf<D>[];
    } catch (error) {
      this.failed(call, error);
      throw error;
    } finally {
      await this.end(call);
    }
  }

  /** Runs every task, never stopping early; one PromiseSettledResult per task, in input order. */
  async runSettled<D extends Delayed<unknown>>(
    tasks: TaskInput<D>,
  ): Promise<PromiseSettledResult<ResultOf<D>>[]> {
    const call = await this.begin(tasks, 'settled');
    try {
      return (await call.results()) as PromiseSettledResult<ResultOf<D>>[];
    } catch (error) {
      this.failed(call, error);
      throw error;
    } finally {
      await this.end(call);
    }
  }

  /** Yields results in input order, each as soon as it and all before it are done. */
  async *iter<D extends Delayed<unknown>>(tasks: TaskInput<D>): AsyncGenerator<ResultOf<D>, void, undefined> {
    const call = await this.begin(tasks, 'ordered');
    try {
      yield* call.iterate() as AsyncGenerator<ResultOf<D>, void, undefined>;
    } catch (error) {
      this.failed(call, error);
      throw error;
    } finally {
      await this.end(call);
    }
  }

  /** Yields results in completion order. */
  async *iterUnordered<D extends Delayed<unknown>>(
    tasks: TaskInput<D>,
  ): AsyncGenerator<ResultOf<D>, void, undefined> {
    const call = await this.begin(tasks, 'unordered');
    try {
      yield* call.iterate() as AsyncGenerator<ResultOf<D>, void, undefined>;
    } catch (error) {
      this.failed(call, error);
      throw error;
    } finally {
      await this.end(call);
    }
  }

  /** Stops a running call, and releases the backend (shared worker pools stay for reuse). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const running = this.running;
    // a call still in configure() sees `closed` when configure() returns, and rejects
    if (running instanceof Call) {
      running.close();
      await running.whenDrained();
    }
    if (this.configured) {
      await this.configured.catch(() => {});
      await this.backend.terminate();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private reporter(knownLength: number | null, preDispatch = 0): ProgressReporter {
    return new ProgressReporter({
      verbose: this.settings.verbose,
      progress: this.settings.progress,
      onProgress: this.settings.onProgress,
      nJobsLabel: this.settings.nJobs,
      knownLength,
      preDispatch,
    });
  }

  private context(reporter: ProgressReporter): BackendContext {
    const s = this.settings;
    return {
      maxNbytes: s.maxNbytes,
      tempFolder: s.tempFolder,
      innerMaxNumThreads: s.innerMaxNumThreads,
      verbose: s.verbose,
      log: (message) => reporter.print(message),
    };
  }

  private async begin(tasks: TaskInput<unknown>, mode: OutputMode): Promise<Call> {
    if (this.closed) throw new Error(messages.call.closed());
    if (this.running) throw new Error(messages.call.alreadyRunning());
    // only a Parallel made outside any task (depth 0) can come from a task module's top level
    const importing = this.depth === 0 ? taskModuleBeingImported() : undefined;
    if (importing !== undefined) throw new Error(messages.task.parallelWhileImporting(importing));
    if (this.depth + 1 > MAX_NESTING_DEPTH)
      throw new RangeError(messages.backend.nestedTooDeep(this.depth + 1, MAX_NESTING_DEPTH));
    const s = this.settings;
    const backend = this.backend;
    // the backend decides (joblib's fallback to its sequential path): local ones for nJobs 1, remote ones never
    const inCaller = backend.runsInCaller(s.nJobs);
    // claim the instance before the first await, so a concurrent second call is refused
    this.running = 'starting';
    try {
      let workers = 1;
      let reporter = this.reporter(null);
      if (!inCaller) {
        // what the user asked (e.g. -1): a remote backend resolves it against its live capacity
        this.configured ??= backend.configure(s.nJobs, this.context(reporter));
        workers = await this.configured.catch((error) => {
          this.configured = undefined;
          throw error;
        });
        if (!(workers > 0)) throw new Error(messages.backend.zeroWorkers(backend.name));
        if (this.closed) throw new CallCancelledError(messages.call.closedDuringCall());
      } else if (s.nJobs !== 1) {
        backend.effectiveNJobs(s.nJobs);
      }
      const preDispatch = resolvePreDispatch(s.preDispatch, workers);
      const useTimeout = s.timeout !== null && !inCaller && backend.supportsTimeout;
      if (s.timeout !== null && !useTimeout && !this.warnedTimeout) {
        this.warnedTimeout = true;
        process.emitWarning(
          messages.backend.timeoutUnsupported(inCaller ? 'sequential' : backend.name, s.timeout),
          'ParajobWarning',
        );
      }
      // the global Web Crypto: node:crypto loads at the first call, not when a worker imports parajob
      const callId = crypto.randomUUID();
      const knownLength = Array.isArray(tasks) ? tasks.length : null;
      const observer = currentInstrumentation()?.startCall({
        callId,
        backend: backend.name,
        nJobs: s.nJobs,
        workers,
        inCaller,
        mode,
        total: knownLength,
        depth: this.depth + 1,
      });
      const call = new Call(
        {
          callId,
          backend: observer ? observedBackend(backend, observer) : backend,
          workers,
          inCaller,
          preDispatch,
          batchSize: s.batchSize,
          batching: this.batching(backend, inCaller),
          timeout: useTimeout ? s.timeout : null,
          signal: s.signal,
          reporter: (reporter = this.reporter(knownLength, Number.isFinite(preDispatch) ? preDispatch : 0)),
          nested: inCaller ? null : nestedBackendOf(backend),
          depth: this.depth + 1,
          mode,
          verbose: s.verbose,
        },
        tasks,
      );
      if (!inCaller) reporter.print(`Using backend ${backend.name} with ${workers} concurrent workers.`);
      this.running = call;
      this.reporters.set(call, reporter);
      if (observer) {
        this.observers.set(call, observer);
        observer.run(() => call.start());
      } else call.start();
      return call;
    } catch (error) {
      if (this.running === 'starting') this.running = undefined;
      throw error;
    }
  }

  /** The backend's own batching policy when it has one, else joblib's heuristic kept by this instance. */
  private batching(backend: ParallelBackend, inCaller: boolean): CallParams['batching'] {
    if (backend.computeBatchSize && backend.batchCompleted) {
      return {
        computeBatchSize: () => backend.computeBatchSize!(),
        batchCompleted: (size, ms) => backend.batchCompleted!(size, ms),
      };
    }
    return inCaller ? this.callerBatching : this.poolBatching;
  }

  /** The call's error, for its observer (before end(), which reports the call as ended). */
  private failed(call: Call, error: unknown): void {
    const observer = this.observers.get(call);
    this.observers.delete(call);
    observer?.end(error);
  }

  /**
   * After a call's results or error: waits until none of its batches runs and the backend has
   * released the call's resources (`stopCall`), so that a settled call leaves nothing behind (a
   * script may exit at once, even by `process.exit()`). Aborted batches reject at once on every
   * backend, so a failing call is not held up by the tasks it stops.
   */
  private async end(call: Call): Promise<void> {
    await call.whenDrained();
    if (this.running === call) this.running = undefined;
    const observer = this.observers.get(call);
    this.observers.delete(call);
    observer?.end(undefined);
    this.reporters.get(call)?.close();
    this.reporters.delete(call);
  }
}
