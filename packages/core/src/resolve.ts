/**
 * Which backend and nJobs a Parallel uses: explicit options, then the parallelConfig scope, then
 * the registered default; `require: 'sharedmem'` is a hard constraint, `prefer` a soft hint.
 */
import type { ParallelBackend } from './backend.js';
import { currentScope, type Scope } from './config.js';
import { messages } from './messages.js';
import { checkPreferRequire, type Prefer, type Require } from './options.js';
import { createBackend, defaultBackendName, isRegistered } from './registry.js';

export interface ActiveBackend {
  readonly backend: ParallelBackend;
  /** nJobs from the config, or null when none was set. */
  readonly nJobs: number | null;
  /** True when a parallelConfig chose the backend (hints then do not apply). */
  readonly fromConfig: boolean;
}

function instantiate(
  spec: string | ParallelBackend,
  options: Record<string, unknown>,
  nestingLevel: number,
): ParallelBackend {
  return typeof spec === 'string' ? createBackend(spec, options, nestingLevel) : spec;
}

export function activeBackend(scope: Scope = currentScope()): ActiveBackend {
  const cfg = scope.config;
  const nJobs = cfg.nJobs ?? null;
  if (cfg.backend !== undefined) {
    return {
      backend: instantiate(cfg.backend, cfg.backendOptions, scope.nestingLevel),
      nJobs,
      fromConfig: true,
    };
  }
  return { backend: createBackend(defaultBackendName(), {}, scope.nestingLevel), nJobs, fromConfig: false };
}

export interface ResolveRequest {
  readonly backend: string | ParallelBackend | null;
  readonly nJobs: number | null;
  readonly prefer: Prefer | null;
  readonly require: Require | null;
  /** Prints the "Using X instead of Y" notice (stdout, verbose >= 10). */
  readonly notice?: (message: string) => void;
}

export function resolveBackend(
  request: ResolveRequest,
  scope: Scope = currentScope(),
): { backend: ParallelBackend; nJobs: number } {
  const cfg = scope.config;
  const prefer = request.prefer ?? cfg.prefer ?? null;
  const require = request.require ?? cfg.require ?? null;
  checkPreferRequire(prefer, require);
  let backend: ParallelBackend;
  let nJobs = cfg.nJobs ?? null;
  if (request.backend !== null) {
    const options =
      typeof request.backend === 'string' && request.backend === cfg.backend ? cfg.backendOptions : {};
    backend = instantiate(request.backend, options, scope.nestingLevel);
    if (require === 'sharedmem' && !backend.supportsSharedMem)
      throw new RangeError(messages.option.sharedMemExplicit(backend.name));
  } else {
    const active = activeBackend(scope);
    backend = active.backend;
    if (require === 'sharedmem' && !backend.supportsSharedMem) {
      const replacement = createBackend(
        isRegistered('threads') ? 'threads' : 'sequential',
        {},
        scope.nestingLevel,
      );
      if (active.fromConfig) {
        request.notice?.(
          `Using ${replacement.name} as parajob backend instead of ${backend.name} as the latter does not provide shared memory semantics.`,
        );
      }
      backend = replacement;
      nJobs = null; // the config's nJobs was meant for the other backend
    } else if (
      !active.fromConfig &&
      prefer === 'threads' &&
      !backend.usesThreads &&
      isRegistered('threads')
    ) {
      backend = createBackend('threads', {}, scope.nestingLevel);
    } else if (!active.fromConfig && prefer === 'processes' && backend.usesThreads) {
      const name = ['worker-threads', 'child-process'].find(isRegistered);
      if (name) backend = createBackend(name, {}, scope.nestingLevel);
    }
    if (active.fromConfig && cfg.innerMaxNumThreads != null && !backend.supportsInnerMaxNumThreads) {
      throw new TypeError(messages.option.innerThreadsUnsupported(backend.name));
    }
  }
  return { backend, nJobs: request.nJobs ?? nJobs ?? 1 };
}

/** What a `new Parallel()` created here, with no options, would use. */
export function getActiveBackend(): { backend: ParallelBackend; nJobs: number } {
  const active = activeBackend();
  return { backend: active.backend, nJobs: active.nJobs ?? 1 };
}

/** How many workers the active backend would use for `nJobs` (null: the parallelConfig value, else 1). */
export function effectiveNJobs(nJobs: number | null = -1): number {
  const active = activeBackend();
  const n = nJobs ?? active.nJobs ?? 1;
  if (n === 1) return 1;
  return active.backend.effectiveNJobs(n);
}
