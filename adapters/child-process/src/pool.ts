/**
 * A reusable pool of worker processes (loky's reusable executor): shared by every backend
 * instance whose workers would start the same way (same Node flags, same environment, same idle
 * timeout), resized to the latest configure()'s nJobs, and never what keeps the parent alive:
 * workers are referenced only while they run a job.
 */
import { reportWorkerReplaced, type WorkerCrashedError } from '@parajob/core/backend';
import { RoundRobinQueue } from '@parajob/core/internal';
import type { Job } from './job.js';
import { BACKEND_NAME } from './messages.js';
import { NO_LIMITS, type WorkerLimits } from './options.js';
import { WorkerProcess, type WorkerSpec } from './worker.js';

export class ProcessPool {
  private size = 1;
  private readonly workers = new Set<WorkerProcess>();
  private readonly idle: WorkerProcess[] = [];
  /** Jobs waiting for a worker, served call by call in turn, so concurrent calls share the pool fairly. */
  private readonly queue = new RoundRobinQueue<Job>();
  /** Backends configured on this pool; an unused pool with no workers left is dropped. */
  readonly users = new Set<object>();

  constructor(
    readonly key: string,
    private readonly spec: WorkerSpec,
    private readonly idleTimeout: number,
    private readonly onEmpty: (pool: ProcessPool) => void,
    private readonly limits: WorkerLimits = NO_LIMITS,
  ) {}

  get workerCount(): number {
    return this.workers.size;
  }

  /** Pids of the live workers (for tests and diagnostics). */
  get pids(): number[] {
    return [...this.workers].flatMap((w) => (w.pid === undefined ? [] : [w.pid]));
  }

  /** Sets the number of workers: extra idle ones retire now, busy ones after their job; missing ones start. */
  resize(size: number): void {
    this.size = size;
    while (this.workers.size > size && this.idle.length > 0) this.idle.pop()!.retire();
    // start the workers now so the first batches do not wait for Node to boot
    while (this.workers.size < size) this.spawn();
    this.updateRefs();
  }

  submit(job: Job): void {
    this.queue.push(job.batch.callId, job);
    this.dispatch();
  }

  /** Stops a job: dropped from the queue, or its worker is killed (and replaced when needed). */
  cancel(job: Job, reason: unknown): void {
    if (this.queue.remove(job.batch.callId, job)) {
      job.fail(reason);
      this.updateRefs();
      return;
    }
    for (const worker of this.workers) {
      if (worker.currentJob === job) {
        worker.abort(job, reason);
        return;
      }
    }
    job.fail(reason);
  }

  /** Tells the workers that may cache a call's shared buffers to drop them. */
  release(callId: string): void {
    for (const worker of this.workers) {
      if (worker.calls.delete(callId)) worker.post({ type: 'release', call: callId });
    }
  }

  /** Kills every worker and fails queued jobs; resolves when the processes have exited. */
  async shutdown(reason: unknown): Promise<void> {
    for (const job of this.queue.drain()) job.fail(reason);
    const workers = [...this.workers];
    for (const worker of workers) {
      const job = worker.currentJob;
      if (job) worker.abort(job, reason);
      else worker.stop();
    }
    await Promise.all(workers.map((w) => w.whenExited()));
  }

  /** Synchronous kill of every worker (the parent is exiting). */
  killAll(): void {
    for (const worker of this.workers) worker.kill();
  }

  private spawn(): WorkerProcess {
    const worker = new WorkerProcess(this.spec, {
      free: (w) => this.free(w),
      gone: (w, startupCrash) => this.gone(w, startupCrash),
    });
    this.workers.add(worker);
    return worker;
  }

  private dispatch(): void {
    let starting = 0;
    for (const w of this.workers) if (w.state === 'starting') starting++;
    while (this.queue.length > 0) {
      const worker = this.idle.pop();
      if (worker !== undefined) {
        this.take(worker, this.queue.shift()!);
        continue;
      }
      // jobs left wait for workers that are starting, or for one to finish
      if (starting >= this.queue.length || this.workers.size >= this.size) break;
      this.spawn();
      starting++;
    }
    this.updateRefs();
  }

  private take(worker: WorkerProcess, job: Job): void {
    clearTimeout(worker.idleTimer);
    worker.idleTimer = undefined;
    if (job.sharesBuffers) worker.calls.add(job.batch.callId);
    worker.run(job);
  }

  private free(worker: WorkerProcess): void {
    if (worker.state === 'dead') return;
    if (this.workers.size > this.size) {
      worker.retire();
      return;
    }
    if (worker.tasksRun >= this.limits.maxTasks || worker.rss > this.limits.maxRssBytes) {
      // over a limit: replaced now, between two batches (retire's 'gone' hands queued jobs to the new one)
      worker.retire();
      reportWorkerReplaced(BACKEND_NAME, 'recycle');
      if (this.workers.size < this.size) this.spawn();
      this.updateRefs();
      return;
    }
    const job = this.queue.shift();
    if (job !== undefined) {
      this.take(worker, job);
    } else {
      this.idle.push(worker);
      worker.idleTimer = setTimeout(() => {
        const at = this.idle.indexOf(worker);
        if (at >= 0) this.idle.splice(at, 1);
        worker.retire();
      }, this.idleTimeout);
      worker.idleTimer.unref();
    }
    this.updateRefs();
  }

  private gone(worker: WorkerProcess, startupCrash: WorkerCrashedError | undefined): void {
    clearTimeout(worker.idleTimer);
    this.workers.delete(worker);
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    // a worker that cannot even start (bad execArgv...) fails the job waiting for it instead of respawning forever
    if (startupCrash !== undefined) this.queue.shift()?.fail(startupCrash);
    this.dispatch();
    if (this.workers.size === 0 && this.users.size === 0 && this.queue.length === 0) this.onEmpty(this);
  }

  private updateRefs(): void {
    const waiting = this.queue.length > 0;
    for (const w of this.workers) w.setRef(w.state === 'busy' || (w.state === 'starting' && waiting));
  }
}
