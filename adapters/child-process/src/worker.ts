/**
 * The parent's handle on one worker process: fork it, run one job at a time, and turn its death
 * into the right error — TaskTimeoutError when we killed it for a timeout, the abort reason when
 * the call was aborted, WorkerCrashedError (exit code or signal, and the task it was running,
 * read from its status file) otherwise.
 */
import type { ChildProcess, ForkOptions } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  deserializeError,
  explainUnsendableBatch,
  reportWorkerReplaced,
  type SerializedError,
  TaskTimeoutError,
  type TimeoutWatch,
  WorkerCrashedError,
  watchTaskTimeout,
} from '@parajob/core/backend';
import type { Job } from './job.js';
import { BACKEND_NAME, messages } from './messages.js';
import type { ChildMessage, ParentMessage } from './protocol.js';
import { StatusFile } from './status.js';

// node:child_process (with net, dgram, ...) is loaded when the first worker starts, not at import:
// every program and worker thread that imports parajob (a task module does) would pay for it
const require = createRequire(import.meta.url);
type ChildProcessModule = typeof import('node:child_process');
const fork = (modulePath: string, args: readonly string[], options: ForkOptions): ChildProcess =>
  (require('node:child_process') as ChildProcessModule).fork(modulePath, args, options);

export interface WorkerSpec {
  readonly execArgv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

export interface WorkerEvents {
  /** Ready for a job (after start-up, or after finishing one). */
  free(worker: WorkerProcess): void;
  /** Dead or being retired; `startupCrash` is set when it died before it was ready. */
  gone(worker: WorkerProcess, startupCrash: WorkerCrashedError | undefined): void;
}

export type WorkerState = 'starting' | 'idle' | 'busy' | 'dead';

/** How long to wait, after a worker exited, for its last IPC messages (a result sent just before). */
const DRAIN_AFTER_EXIT_MS = 1000;
/** A retired worker that has not exited by then is killed. */
const RETIRE_GRACE_MS = 5000;

let workerIds = 0;

function childEntry(): string {
  const built = fileURLToPath(new URL('./child.js', import.meta.url));
  if (existsSync(built)) return built;
  // loaded from sources (this package's own tests): run the built worker, which `npm test` builds first
  return fileURLToPath(new URL('../dist/child.js', import.meta.url));
}

export class WorkerProcess {
  readonly child: ChildProcess;
  state: WorkerState = 'starting';
  /** Calls whose shared buffers this worker may have cached (told to release them when they end). */
  readonly calls = new Set<string>();
  idleTimer: NodeJS.Timeout | undefined;
  /** Tasks this worker has run, and its resident memory after the last batch: what its limits are checked against. */
  tasksRun = 0;
  rss = 0;
  private readonly status = new StatusFile();
  private readonly reportPath = join(tmpdir(), `parajob-fatal-${process.pid}-${workerIds++}.json`);
  private job: Job | undefined;
  private seq = 0;
  private watch: TimeoutWatch | undefined;
  private fatal: SerializedError | undefined;
  private exited: { code: number | null; signal: NodeJS.Signals | null; error?: Error } | undefined;
  private finalized = false;
  private refd = true;

  constructor(
    spec: WorkerSpec,
    private readonly events: WorkerEvents,
  ) {
    this.child = fork(childEntry(), [this.reportPath], {
      serialization: 'advanced',
      execArgv: [...spec.execArgv],
      env: spec.env,
      // the worker's output goes through our process.stdout/stderr.write (not straight to the fds), so a
      // progress bar keeps it above itself; fd 4 is its status file
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', this.status.fd],
    });
    // 'data' rather than pipe(): pipe() adds listeners on process.stdout per worker (MaxListeners warnings)
    this.child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    this.child.on('message', (message: ChildMessage) => this.onMessage(message));
    this.child.once('exit', (code, signal) => this.onExit(code, signal));
    this.child.once('disconnect', () => this.maybeFinalize());
    this.child.on('error', (error) => {
      // spawning failed (no process): there will be no 'exit'
      if (this.child.pid === undefined && this.exited === undefined) this.onExit(null, null, error);
    });
    this.setRef(false);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get currentJob(): Job | undefined {
    return this.job;
  }

  /** A worker holds the parent's event loop only while it runs a job (or one waits for it to start). */
  setRef(on: boolean): void {
    if (on === this.refd || this.state === 'dead') return;
    this.refd = on;
    const channel = this.child.channel as { ref?: () => void; unref?: () => void } | null | undefined;
    if (on) {
      this.child.ref();
      channel?.ref?.();
    } else {
      this.child.unref();
      channel?.unref?.();
      // the output pipes would keep the event loop alive too
      for (const pipe of [this.child.stdout, this.child.stderr]) (pipe as Partial<Socket> | null)?.unref?.();
    }
  }

  run(job: Job): void {
    this.state = 'busy';
    this.job = job;
    const seq = ++this.seq;
    this.setRef(true);
    const message: ParentMessage = { type: 'batch', seq, wire: job.wire };
    try {
      this.child.send(message, undefined, undefined, (error) => {
        // the channel closed under us: the worker is dying, its exit reports the crash
        if (error && this.job === job && this.state !== 'dead') this.child.kill('SIGKILL');
      });
    } catch (error) {
      // structured clone refused an argument: nothing was sent, the worker stays usable
      this.job = undefined;
      this.state = 'idle';
      job.fail(explainUnsendableBatch(job.batch, error));
      this.events.free(this);
      return;
    }
    if (job.timeout !== null) {
      const limit = job.timeout;
      this.watch = watchTaskTimeout(
        limit,
        () => this.running(seq, job),
        (position) => {
          if (this.job !== job) return;
          const index = job.batch.firstIndex + position;
          this.stop();
          reportWorkerReplaced(BACKEND_NAME, 'timeout');
          job.fail(
            new TaskTimeoutError(messages.timedOut(index, limit), { taskIndex: index, timeoutMs: limit }),
          );
        },
      );
    }
  }

  /** Stops the job's worker (abort): the job fails with `reason`, the pool replaces the worker. */
  abort(job: Job, reason: unknown): void {
    if (this.job !== job) return;
    this.stop();
    reportWorkerReplaced(BACKEND_NAME, 'abort');
    job.fail(reason);
  }

  /** Sends a message that needs no answer (release of a call's buffers). */
  post(message: ParentMessage): void {
    if (this.state === 'dead' || !this.child.connected) return;
    try {
      this.child.send(message, undefined, undefined, () => {});
    } catch {
      // a closing channel: the worker is going away with its cache
    }
  }

  /** Graceful exit (idle timeout, shrink): the worker exits on its own. */
  retire(): void {
    if (this.state === 'dead') return;
    // told before it is marked dead: post() sends nothing to a dead worker (it would linger until the grace kill)
    this.post({ type: 'retire' });
    this.markDead();
    setTimeout(() => this.kill(), RETIRE_GRACE_MS).unref();
    this.events.gone(this, undefined);
  }

  /** Kill now (timeout, abort, shutdown); the pool forgets the worker at once. */
  stop(): void {
    if (this.state === 'dead') return;
    this.markDead();
    this.kill();
    this.events.gone(this, undefined);
  }

  /** Synchronous kill, also used from the parent's 'exit' handler. */
  kill(): void {
    if (this.exited === undefined && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        this.child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /**
   * Resolves once the process has exited. The child is ref'ed until then: someone awaits this
   * (shutdownPools), and an unref'ed child would let the event loop end first, leaving the
   * await unsettled (exit code 13).
   */
  whenExited(): Promise<void> {
    if (this.exited !== undefined || this.child.pid === undefined) return Promise.resolve();
    this.child.ref();
    return new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  private markDead(): void {
    this.state = 'dead';
    this.watch?.stop();
    this.watch = undefined;
    this.job = undefined;
    this.setRefDead();
  }

  private setRefDead(): void {
    // a dead worker must not hold the event loop; its exit still gets reported
    if (!this.refd) return;
    this.refd = false;
    this.child.unref();
    (this.child.channel as { unref?: () => void } | null | undefined)?.unref?.();
  }

  private running(seq: number, job: Job): { position: number; startedAt: number } | undefined {
    const s = this.status.read();
    if (s === undefined || s.seq !== seq || s.position >= job.batch.size) return undefined;
    return { position: s.position, startedAt: s.startedAt };
  }

  private onMessage(message: ChildMessage): void {
    if (message.type === 'ready') {
      if (this.state !== 'starting') return;
      this.state = 'idle';
      this.events.free(this);
    } else if (message.type === 'result') {
      const job = this.job;
      if (job === undefined || message.seq !== this.seq || this.state !== 'busy') return;
      this.watch?.stop();
      this.watch = undefined;
      this.job = undefined;
      this.state = 'idle';
      this.tasksRun += job.batch.size;
      this.rss = message.rss;
      job.succeed(message.result);
      this.events.free(this);
    } else if (message.type === 'fatal') {
      this.fatal = message.error;
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, error?: Error): void {
    this.exited = error === undefined ? { code, signal } : { code, signal, error };
    if (this.state === 'dead' || !this.child.connected) {
      this.maybeFinalize();
      return;
    }
    // its last messages (a result, a fatal error) may still be in the channel: read them first
    setTimeout(() => this.maybeFinalize(true), DRAIN_AFTER_EXIT_MS);
  }

  private maybeFinalize(force = false): void {
    if (this.finalized || this.exited === undefined || (!force && this.child.connected)) return;
    this.finalized = true;
    const job = this.state === 'dead' ? undefined : this.job;
    const position = job ? this.positionOf(job) : undefined;
    this.status.close();
    const reason = this.reason();
    rmSync(this.reportPath, { force: true });
    if (this.state === 'dead') return;
    const wasStarting = this.state === 'starting';
    const taskIndex = job && position !== undefined ? job.batch.firstIndex + position : undefined;
    const cause = this.exited.error ?? (this.fatal ? deserializeError(this.fatal) : undefined);
    const crash = new WorkerCrashedError(messages.crash(reason, taskIndex), {
      taskIndex,
      exitReason: reason,
      cause,
    });
    this.markDead();
    reportWorkerReplaced(BACKEND_NAME, 'crash');
    job?.fail(crash);
    // a worker that died idle fails nothing; one that died starting fails a job waiting for it
    this.events.gone(this, wasStarting ? crash : undefined);
  }

  private positionOf(job: Job): number | undefined {
    const s = this.status.read();
    return s !== undefined && s.seq === this.seq && s.position < job.batch.size ? s.position : undefined;
  }

  /** `EXIT(3)`, `SIGKILL`, or `OUT_OF_MEMORY` when Node's fatal-error report says the heap ran out. */
  private reason(): string {
    const exited = this.exited!;
    if (exited.error) return (exited.error as NodeJS.ErrnoException).code ?? 'SPAWN_FAILED';
    if (exited.signal === 'SIGABRT' || exited.signal === 'SIGTRAP' || exited.code === 134) {
      try {
        const report = JSON.parse(readFileSync(this.reportPath, 'utf8')) as {
          header?: { trigger?: string; event?: string };
        };
        if (report.header?.trigger === 'OOMError' || /out of memory/i.test(report.header?.event ?? ''))
          return 'OUT_OF_MEMORY';
      } catch {
        // no report: an abort for another reason
      }
    }
    return exited.signal ?? `EXIT(${exited.code})`;
  }
}
