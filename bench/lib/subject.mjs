/**
 * Helpers for measurement scripts: read the subject from argv, time the measured section,
 * report once (errors included) on the result line.
 */
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

export async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}
