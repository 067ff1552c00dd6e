/**
 * Helpers for measurement scripts: read the subject from argv, time the measured section,
 * report once (errors included) on the result line.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { report } from './measure.mjs';

/** `node child/x.mjs '<json spec>'` → the spec. */
export function specFromArgv() {
  return JSON.parse(process.argv[2] ?? '{}');
}

/** Runs `body(spec)`, which returns extra fields; reports `{ ms, ...extra }` or `{ error }`. */
export async function main(body) {
  try {
    const spec = specFromArgv();
    const out = await body(spec);
    report(out);
    // pools that hold the loop open (workerpool) are closed by the body; exit promptly anyway
    process.exitCode = 0;
  } catch (err) {
    report({ error: `${err?.name ?? 'Error'}: ${err?.message ?? err}`.slice(0, 500) });
    process.exitCode = 1;
  }
}

/** CPU time of this process's main thread, in ms (Linux: its schedstat; undefined elsewhere). */
export function mainThreadCpuMs() {
  try {
    const line = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8');
    return Number(line.split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

/**
 * Times `fn`: `ms` is wall time; `mainCpuMs` the main thread's CPU time meanwhile, which a busy
 * machine inflates far less than wall time (the caller's own cost per task, garbage collection in
 * the main thread included).
 */
export async function timed(fn) {
  const c0 = mainThreadCpuMs();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  const c1 = mainThreadCpuMs();
  return { ms, mainCpuMs: c0 === undefined ? undefined : c1 - c0, value };
}
