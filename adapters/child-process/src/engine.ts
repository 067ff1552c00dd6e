/**
 * What ChildProcessBackend does once configured (joblib's loky): batches run in forked Node
 * processes from a shared, reusable pool. Each submit encodes the batch, swaps large buffers for
 * file references, queues it on the pool, and decodes the worker's answer. Loaded by the backend's
 * first configure() (backend.ts), not when parajob is imported: a program on worker threads — and
 * each of its workers, whose task modules import parajob — never loads it.
 */
import {
  type BackendContext,
  CallCancelledError,
  decodeResult,
  encodeBatch,
  mapWireArgs,
  type SubmitOptions,
  type TaskBatch,
  type WireBatch,
} from '@parajob/core/backend';
import { withHeapCap, workerEnv, workerExecArgv } from './env.js';
import { Job } from './job.js';
import { messages } from './messages.js';
import type { NormalizedOptions } from './options.js';
import type { ProcessPool } from './pool.js';
import { acquirePool, poolKey } from './pools.js';
import { CallBuffers } from './shared-buffers.js';
import type { WorkerSpec } from './worker.js';

export { shutdownPools } from './pools.js';

interface Configured {
  readonly spec: WorkerSpec;
  readonly key: string;
  readonly maxNbytes: number | null;
  readonly tempFolder: string | null;
}

export class ChildProcessEngine {
  private configured: Configured | undefined;
  private readonly calls = new Map<string, CallBuffers>();
  /** Pools this backend sent work to, for releasing a call's buffers in their workers. */
  private readonly usedPools = new Set<ProcessPool>();
  /** Jobs of this instance still running or queued, with their pool. */
  private readonly jobs = new Map<Job, ProcessPool>();

  constructor(private readonly options: NormalizedOptions) {}

  /** `n`: the backend's effective number of workers. */
  configure(n: number, context: BackendContext): number {
    const spec: WorkerSpec = {
      execArgv: withHeapCap(
        workerExecArgv(this.options.execArgv, this.options.inheritExecArgv),
        this.options.maxMemoryMb,
      ),
      env: workerEnv(n, context.innerMaxNumThreads, this.options.env),
    };
    const key = poolKey(spec, this.options.idleTimeout, this.options.limits);
    this.configured = { spec, key, maxNbytes: context.maxNbytes, tempFolder: context.tempFolder };
    const pool = this.pool();
    pool.resize(n);
    return n;
  }

  submit(batch: TaskBatch, options: SubmitOptions): Promise<ArrayLike<unknown>> {
    const { signal, timeout } = options;
    if (signal.aborted) return Promise.reject(signal.reason ?? new CallCancelledError(messages.cancelled()));
    const configured = this.configured;
    if (configured === undefined) return Promise.reject(new Error(messages.notConfigured()));
    let wire: WireBatch;
    let sharesBuffers = false;
    try {
      wire = encodeBatch(batch);
      if (configured.maxNbytes !== null) {
        const buffers = this.buffersOf(batch.callId, configured);
        const args = mapWireArgs(wire.args, (a) => buffers.replace(a));
        sharesBuffers = args.some((a, i) => a !== wire.args[i]);
        if (sharesBuffers) wire = { ...wire, args };
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const pool = this.pool();
    const job = new Job(batch, wire, timeout, signal);
    job.sharesBuffers = sharesBuffers;
    this.jobs.set(job, pool);
    const onAbort = () => pool.cancel(job, signal.reason ?? new CallCancelledError(messages.cancelled()));
    signal.addEventListener('abort', onAbort, { once: true });
    job.onSettled(() => {
      signal.removeEventListener('abort', onAbort);
      this.jobs.delete(job);
    });
    pool.submit(job);
    return job.promise.then((result) => decodeResult(batch, result));
  }

  /** The call ended (success, error or crash): delete its shared buffers and let workers drop their copies. */
  async stopCall(callId: string): Promise<void> {
    const buffers = this.calls.get(callId);
    if (buffers === undefined) return;
    this.calls.delete(callId);
    buffers.remove();
    for (const pool of this.usedPools) pool.release(callId);
  }

  /**
   * Releases this instance: stops its jobs still running (their workers are killed and replaced;
   * other backends' jobs run on); the pool stays for reuse by other instances until its idle timeout.
   */
  async terminate(): Promise<void> {
    const reason = new CallCancelledError(messages.cancelled());
    for (const [job, pool] of [...this.jobs]) pool.cancel(job, reason);
    for (const callId of [...this.calls.keys()]) await this.stopCall(callId);
    for (const pool of this.usedPools) pool.users.delete(this);
    this.usedPools.clear();
  }

  /** The pool for this configuration (re-created on demand, e.g. after shutdownPools()). */
  private pool(): ProcessPool {
    const c = this.configured!;
    const pool = acquirePool(c.spec, this.options.idleTimeout, c.key, this.options.limits);
    pool.users.add(this);
    this.usedPools.add(pool);
    return pool;
  }

  /** The call's shared buffers; its folder is created only when a large buffer shows up. */
  private buffersOf(callId: string, configured: Configured): CallBuffers {
    let buffers = this.calls.get(callId);
    if (buffers === undefined) {
      buffers = new CallBuffers(callId, configured.tempFolder, configured.maxNbytes!);
      this.calls.set(callId, buffers);
    }
    return buffers;
  }
}
