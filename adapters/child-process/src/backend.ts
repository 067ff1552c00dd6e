/**
 * ChildProcessBackend (joblib's loky): batches run in forked Node processes from a shared,
 * reusable pool. This class validates its options at construction and loads the engine that
 * forks, queues and talks to the workers (engine.ts) at its first configure(): importing parajob
 * — in a program on worker threads, and in each of its workers, whose task modules import
 * parajob — does not load child-process code it never runs (about 6 ms of CPU per cold start).
 */
import {
  BackendBase,
  type BackendContext,
  CallCancelledError,
  type SubmitOptions,
  type TaskBatch,
} from '@parajob/core/backend';
import type { ChildProcessEngine } from './engine.js';
import { BACKEND_NAME, messages } from './messages.js';
import { type ChildProcessBackendOptions, type NormalizedOptions, normalizeOptions } from './options.js';

type EngineModule = typeof import('./engine.js');
let engineModule: Promise<EngineModule> | undefined;

/** The engine's module, loaded once per process; undefined until a backend was configured. */
export function loadedEngine(): Promise<EngineModule> | undefined {
  return engineModule;
}

export class ChildProcessBackend extends BackendBase {
  readonly name = BACKEND_NAME;
  override readonly supportsTimeout = true;
  override readonly supportsInnerMaxNumThreads = true;
  private readonly options: NormalizedOptions;
  private engine: ChildProcessEngine | undefined;

  constructor(options: ChildProcessBackendOptions = {}) {
    super();
    this.options = normalizeOptions(options);
  }

  override async configure(requestedNJobs: number, context: BackendContext): Promise<number> {
    const n = this.effectiveNJobs(requestedNJobs);
    const { ChildProcessEngine } = await (engineModule ??= import('./engine.js'));
    this.engine ??= new ChildProcessEngine(this.options);
    return this.engine.configure(n, context);
  }

  submit(batch: TaskBatch, options: SubmitOptions): Promise<ArrayLike<unknown>> {
    if (this.engine === undefined) {
      const { signal } = options;
      if (signal.aborted)
        return Promise.reject(signal.reason ?? new CallCancelledError(messages.cancelled()));
      return Promise.reject(new Error(messages.notConfigured()));
    }
    return this.engine.submit(batch, options);
  }

  /** The call ended (success, error or crash): delete its shared buffers and let workers drop their copies. */
  async stopCall(callId: string): Promise<void> {
    await this.engine?.stopCall(callId);
  }

  /**
   * Releases this instance: stops its jobs still running (their workers are killed and replaced;
   * other backends' jobs run on); the pool stays for reuse by other instances until its idle timeout.
   */
  override async terminate(): Promise<void> {
    await this.engine?.terminate();
  }
}
