/**
 * `parajob demo`: the README's main job. The same CPU-heavy workload (counting primes in ranges)
 * runs once sequentially and once per local backend, each with a progress bar, then a table
 * shows wall time and speed-up against the sequential run. Every run must find the same count.
 */
import { cpuCount, delayed, listBackends, Parallel, type ProgressInfo } from '@parajob/core';
import { parse, parseJobs, parseList } from '../args.js';
import { shortWorkloadNote, type TimedRun } from '../demo-note.js';
import { countPrimesInRange, primeRanges } from '../demo-tasks.js';
import { describeError } from '../describe-error.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { messages } from '../messages.js';
import { formatTable } from '../table.js';
import { DEMO_USAGE } from '../usage.js';

/** The local backends `parajob` registers, in the order the table shows them. */
export const DEMO_BACKENDS = ['worker-threads', 'child-process', 'threads'] as const;

/** Sizes: the full run lasts ~8 s sequentially on one core of a laptop, --quick well under a second. */
export const WORKLOADS = {
  full: { limit: 30_000_000, chunks: 120 },
  quick: { limit: 5_000_000, chunks: 40 },
} as const;

const NOTES: Record<string, string> = {
  sequential: messages.demo.noteSequential,
  'worker-threads': messages.demo.noteWorkerThreads,
  'child-process': messages.demo.noteChildProcess,
  threads: messages.demo.noteThreads,
};

export interface DemoArgs {
  readonly quick: boolean;
  /** Backend names to compare; null: every registered one of DEMO_BACKENDS. */
  readonly backends: string[] | null;
  readonly nJobs: number;
}

export const OPTIONS = {
  quick: { type: 'boolean', short: 'q' },
  backends: { type: 'string' },
  jobs: { type: 'string', short: 'j' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The command line of `demo`, or null for --help. */
export function parseDemoArgs(args: readonly string[]): DemoArgs | null {
  const { values, positionals } = parse<{
    quick?: boolean;
    backends?: string;
    jobs?: string;
    help?: boolean;
  }>(args, OPTIONS, 'demo', ['-j', '--jobs']);
  if (values.help) return null;
  if (positionals.length > 0) throw new UsageError(messages.usage.unexpected(positionals), 'demo');
  let backends: string[] | null = null;
  if (values.backends !== undefined) {
    backends = [...new Set(parseList(values.backends))];
    if (backends.length === 0) throw new UsageError(messages.demo.emptyBackends(), 'demo');
  }
  return { quick: values.quick ?? false, backends, nJobs: parseJobs(values.jobs, -1, 'demo') };
}

interface RunResult extends TimedRun {
  readonly primes: number | null;
  readonly error: string | null;
}

async function timedRun(
  backend: string,
  nJobs: number,
  ranges: Array<[number, number]>,
  io: Io,
): Promise<RunResult> {
  // the time to the first finished task estimates the workers' start-up (demo-note.ts)
  let firstResultMs: number | null = null;
  const onProgress = (info: ProgressInfo) => {
    if (firstResultMs === null && info.completed > 0) firstResultMs = info.elapsedMs;
  };
  const parallel =
    backend === 'sequential'
      ? new Parallel({ nJobs: 1, progress: true, onProgress })
      : new Parallel({ backend, nJobs, progress: true, onProgress });
  const workers = backend === 'sequential' ? 1 : parallel.backend.effectiveNJobs(nJobs);
  io.stderr.write(`${messages.demo.run(backend, `${workers} worker${workers === 1 ? '' : 's'}`)}\n`);
  const start = performance.now();
  try {
    const counts = await parallel.run(ranges.map(([lo, hi]) => delayed(countPrimesInRange)(lo, hi)));
    const wallMs = performance.now() - start;
    return {
      backend,
      workers,
      wallMs,
      firstResultMs,
      primes: counts.reduce((a, b) => a + b, 0),
      error: null,
    };
  } catch (error) {
    return { backend, workers, wallMs: null, firstResultMs, primes: null, error: describeError(error) };
  } finally {
    await parallel.close();
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The summary table: one row per run, speed-up against the first (sequential) row. */
export function demoTable(results: readonly RunResult[]): string {
  const base = results[0]?.wallMs ?? null;
  const rows = results.map((r) => [
    r.backend,
    String(r.workers),
    r.wallMs === null ? 'failed' : seconds(r.wallMs),
    r.wallMs === null || base === null ? '-' : `${(base / r.wallMs).toFixed(2)}x`,
    r.primes === null ? '-' : r.primes.toLocaleString('en-US'),
    NOTES[r.backend] ?? '',
  ]);
  return formatTable(
    [
      { title: 'backend' },
      { title: 'workers', align: 'right' },
      { title: 'wall time', align: 'right' },
      { title: 'speed-up', align: 'right' },
      { title: 'primes', align: 'right' },
      { title: 'note' },
    ],
    rows,
  );
}

export async function demo(args: readonly string[], io: Io): Promise<number> {
  const a = parseDemoArgs(args);
  if (a === null) {
    io.stdout.write(DEMO_USAGE);
    return EXIT_OK;
  }
  const registered = listBackends().filter((n) => n !== 'sequential');
  const backends =
    a.backends?.filter((n) => n !== 'sequential') ?? DEMO_BACKENDS.filter((n) => registered.includes(n));
  for (const name of backends) {
    if (!registered.includes(name))
      throw new UsageError(messages.demo.unknownBackend(name, registered), 'demo');
  }
  const workload = a.quick ? WORKLOADS.quick : WORKLOADS.full;
  const ranges = primeRanges(workload.limit, workload.chunks);
  io.stderr.write(`${messages.demo.header(workload.limit, ranges.length)}\n`);

  // warm this thread's JIT first, so the sequential baseline (which runs first) is not penalised
  countPrimesInRange(0, 200_000);
  const results: RunResult[] = [await timedRun('sequential', 1, ranges, io)];
  for (const name of backends) results.push(await timedRun(name, a.nJobs, ranges, io));

  io.stdout.write(`\n${demoTable(results)}\n\n${messages.demo.footer(cpuCount())}\n`);
  const note = shortWorkloadNote(results, ranges.length, a.quick);
  if (note !== null) io.stdout.write(`${note}\n`);
  let exitCode = EXIT_OK;
  const expected = results[0]!.primes;
  for (const r of results) {
    if (r.error !== null) {
      io.stderr.write(`parajob: ${messages.demo.failed(r.backend, r.error)}\n`);
      exitCode = EXIT_FAILED;
    } else if (expected !== null && r.primes !== expected) {
      io.stderr.write(`parajob: ${messages.demo.mismatch(r.backend, r.primes ?? 0, expected)}\n`);
      exitCode = EXIT_FAILED;
    }
  }
  return exitCode;
}
