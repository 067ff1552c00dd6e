/**
 * What a worker process starts with: its environment (thread limits for native pools, DESIGN §4)
 * and its Node flags (the parent's, so `--import tsx` reaches the workers, minus those that
 * would make a worker run something else or wait for a debugger).
 */
import { cpuCount } from '@parajob/core/backend';

/** Native thread pools capped in workers (joblib caps OMP/OPENBLAS/MKL; libuv's pool is Node's analogue). */
export const THREAD_LIMIT_VARS = [
  'UV_THREADPOOL_SIZE',
  'OMP_NUM_THREADS',
  'OPENBLAS_NUM_THREADS',
  'MKL_NUM_THREADS',
] as const;

/**
 * The workers' environment: the parent's, then the user's extra variables, then the thread limits.
 * With `innerMaxNumThreads` every limit is set to it; without, each limit the user did not set
 * is `max(cpuCount / nJobs, 1)` and a value the user set passes through unchanged (joblib).
 */
export function workerEnv(
  nJobs: number,
  innerMaxNumThreads: number | null,
  extra: Readonly<Record<string, string>>,
  parent: NodeJS.ProcessEnv = process.env,
  cpus: number = cpuCount(),
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(parent)) if (value !== undefined) env[key] = value;
  Object.assign(env, extra);
  const limit = String(innerMaxNumThreads ?? Math.max(Math.floor(cpus / Math.max(nJobs, 1)), 1));
  for (const name of THREAD_LIMIT_VARS) {
    if (innerMaxNumThreads !== null || env[name] === undefined || env[name] === '') env[name] = limit;
  }
  // core's task() skips its entry-script check in workers: the worker's entry is ours, not the user's
  env.PARAJOB_WORKER = '1';
  return env;
}

/** Flags that would make a worker evaluate other code, wait for a debugger, or restart on file changes. */
const DROP =
  /^--(?:inspect|inspect-brk|inspect-wait|inspect-port|debug-port|eval|print|interactive|watch|watch-path|watch-preserve-output|test)(?:=|$)/;
const DROP_SHORT = new Set(['-e', '-p', '-i']);
const TAKES_VALUE = new Set([
  '--inspect-port',
  '--debug-port',
  '--eval',
  '--print',
  '--watch-path',
  '-e',
  '-p',
]);

export function workerExecArgv(
  own: readonly string[],
  inherit: boolean,
  parent: readonly string[] = process.execArgv,
): string[] {
  // V8 optimizes hot functions on a background thread. In a pool sized to the cores every worker's
  // main thread is busy, that thread starves, and a worker can run a CPU-bound task in unoptimized
  // code for its whole life (measured here: 1 in 10 to 1 in 2 workers 3.4× slower). Compiling on the
  // worker's own thread avoids it; a user flag (--concurrent-recompilation) later in the list wins.
  const out: string[] = ['--no-concurrent-recompilation'];
  if (inherit) {
    for (let i = 0; i < parent.length; i++) {
      const arg = parent[i]!;
      if (DROP.test(arg) || DROP_SHORT.has(arg)) {
        if (TAKES_VALUE.has(arg)) i++;
        continue;
      }
      out.push(arg);
    }
  }
  // the user's flags come last so they win over inherited ones (e.g. --max-old-space-size)
  out.push(...own);
  return out;
}

/** maxMemoryPerWorker also caps the heap (a task over it dies OUT_OF_MEMORY), unless the flags already set a cap. */
export function withHeapCap(execArgv: readonly string[], maxMemoryMb: number | null): readonly string[] {
  if (maxMemoryMb === null || execArgv.some((flag) => flag.startsWith('--max-old-space-size')))
    return execArgv;
  return [...execArgv, `--max-old-space-size=${Math.max(Math.floor(maxMemoryMb), 16)}`];
}
