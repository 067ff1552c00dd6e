#!/usr/bin/env node
/**
 * parajob benchmarks: `npm run bench` (root) or `node bench/run.mjs [--quick] [--runs N]
 * [--cores N] [--only overhead,scaling,coldStart,largeData,distributed,client,clientNats] [--out FILE]`.
 *
 * Every measurement is a fresh child process; runs are interleaved (each run measures every
 * subject once, in a rotated order) so ratios compare numbers taken under the same conditions.
 * Prints the report and writes it to bench/RESULTS.md (with --quick, to a file in the OS temp
 * directory: a quick run must not overwrite the committed results of a full one).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cliBin, startCluster } from './lib/cluster.mjs';
import { benchDir, describeMachine, findJoblibPython, findNatsServer, repoDir } from './lib/machine.mjs';
import { measure, settle } from './lib/measure.mjs';
import { buildPlan } from './lib/plan.mjs';
import { findRedisServer, startRedis } from './lib/redis.mjs';
import { evaluateGoals, renderGoals, renderWorkload } from './lib/report.mjs';
import { fmtMs } from './lib/stats.mjs';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string' },
    out: { type: 'string' },
    cores: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  console.log(
    'usage: node bench/run.mjs [--quick] [--runs N] [--cores N] [--only overhead,scaling,coldStart,largeData,distributed,client,clientNats] [--out FILE]',
  );
  process.exit(0);
}

const log = (msg) => process.stderr.write(`${msg}\n`);
const started = Date.now();
const machine = describeMachine();
const python = findJoblibPython();
const natsServer = findNatsServer();
const redisServer = findRedisServer();
const built = (...parts) => existsSync(join(repoDir, ...parts));

async function calibrate(command) {
  const m = await measure(command[0], command[1], { cwd: benchDir, timeoutMs: 60_000 });
  if (!m.ok) throw new Error(`calibration failed: ${m.error}`);
  return m.result.iters;
}

log(
  `parajob bench${opts.quick ? ' (quick)' : ''}: ${machine.cpu}, ${machine.availableParallelism} cores, Node ${machine.node}`,
);
log(
  python.python
    ? `joblib ${python.joblib} via ${python.python} (Python ${python.version}${python.numpy ? `, numpy ${python.numpy}` : ', no numpy'})`
    : `joblib not found (tried ${python.tried.join(', ')}): install with \`apt-get install python3-joblib\``,
);
const nodeIters = await calibrate([
  process.execPath,
  [join(benchDir, 'child', 'calibrate.mjs'), '{"targetMs":10}'],
]);
const pythonIters = python.python
  ? await calibrate([
      python.python,
      [join(benchDir, 'py', 'joblib_bench.py'), '{"workload":"calibrate","targetMs":10}'],
    ])
  : undefined;
log(`~10 ms of CPU = burn(${nodeIters}) in Node${pythonIters ? `, burn(${pythonIters}) in Python` : ''}`);

const env = {
  quick: opts.quick,
  runs: opts.runs ? Number(opts.runs) : undefined,
  // --cores N: the scaling workload's nJobs and its 1…N curve (default: what the machine has)
  cores: opts.cores ? Math.max(1, Number.parseInt(opts.cores, 10) || 1) : machine.availableParallelism,
  python,
  natsServer,
  redisServer,
  nodeIters,
  pythonIters,
  parajobBuilt: built('packages', 'parajob', 'dist', 'index.js'),
  natsBuilt: built('adapters', 'nats', 'dist', 'index.js'),
  cliBuilt: existsSync(cliBin),
};
const only = opts.only?.split(',').map((s) => s.trim());
const plan = buildPlan(env).filter((w) => !only || only.includes(w.id));

const data = {};
for (const w of plan) {
  log(`\n${w.title}`);
  data[w.id] = {};
  const ctx = {};
  if (w.note) log(`  ${w.note}`);
  if (w.cluster) {
    try {
      const cluster = await startCluster(natsServer.bin);
      ctx.servers = cluster.servers;
      ctx.stop = cluster.stop;
    } catch (err) {
      w.note = `distributed workload skipped: could not start the local cluster: ${err.message}`;
      log(`  ${w.note}`);
      continue;
    }
  }
  if (w.redis) {
    try {
      const redis = await startRedis(redisServer.bin);
      ctx.redis = redis.redis;
      const stopCluster = ctx.stop;
      ctx.stop = async () => {
        await redis.stop();
        await stopCluster?.();
      };
    } catch (err) {
      for (const s of w.subjects.filter((s) => s.id === 'bullmq'))
        s.skip = `BullMQ skipped: could not start redis-server and its workers: ${err.message}`;
      log(`  BullMQ skipped: ${err.message}`);
    }
  }
  try {
    const active = w.subjects.filter((s) => !s.skip && s.command);
    for (const s of w.subjects.filter((s) => s.skip)) if (!w.note) log(`  skip ${s.label}: ${s.skip}`);
    for (let r = 0; r < w.runs; r++) {
      // rotate the order each run so no subject always runs first (or right after a heavy one)
      const order = active.map((_, i) => active[(i + r) % active.length]);
      for (const s of order) {
        if (r >= (s.maxRuns ?? Infinity)) continue;
        const [bin, args] = typeof s.command === 'function' ? s.command(ctx) : s.command;
        await settle();
        const m = await measure(bin, args, {
          cwd: benchDir,
          timeoutMs: w.timeoutMs,
          sampleMs: w.sampleMs ?? 100,
        });
        const st = (data[w.id][s.id] ??= { values: [], runs: [], errors: [] });
        st.values[r] = m.ok ? w.metric(m) : undefined;
        st.runs.push(m);
        if (!m.ok) st.errors.push(m.error);
        log(
          `  run ${r + 1}/${w.runs}  ${s.label.padEnd(52)} ${m.ok ? fmtMs(w.metric(m)).padStart(9) : `FAILED: ${m.error}`}` +
            `  (others used ${m.outsideLoad.toFixed(2)} cores)`,
        );
      }
    }
  } finally {
    await ctx.stop?.();
  }
}

const goals = evaluateGoals(plan, data, env);
machine.loadAfter = (await import('node:os')).loadavg();
const v = machine.versions;
const lines = [
  `# parajob benchmark results${opts.quick ? ' (quick run: smaller inputs, fewer runs — indicative only)' : ''}`,
  '',
  'Generated by `npm run bench`' +
    (opts.quick ? ' -- --quick' : '') +
    ` on ${machine.date} in ${((Date.now() - started) / 1000).toFixed(0)} s. What each workload does and how to run it: [docs/benchmarks.md](../docs/benchmarks.md).`,
  '',
  '## Machine',
  '',
  `- CPU: ${machine.cpu}, ${machine.logicalCpus} logical CPUs (${machine.availableParallelism} usable by Node), ${machine.memoryGb} GB RAM, ${machine.os}`,
  `- Node ${machine.node}; parajob ${v.parajob}, @parajob/core ${v['@parajob/core']}, @parajob/nats ${v['@parajob/nats'] ?? '—'}; piscina ${v.piscina}, poolifier ${v.poolifier ?? '—'}, tinypool ${v.tinypool}, workerpool ${v.workerpool}, p-map ${v['p-map']}, bullmq ${v.bullmq ?? '—'}`,
  python.python
    ? `- Python ${python.version} (${python.python}), joblib ${python.joblib}${python.numpy ? `, numpy ${python.numpy}` : ''}`
    : '- joblib: not available (install with `apt-get install python3-joblib`), joblib rows skipped',
  natsServer ? `- nats-server ${natsServer.version} (${natsServer.bin})` : '- nats-server: not available',
  redisServer
    ? `- ${redisServer.version} (${redisServer.bin})`
    : '- redis-server: not available (BullMQ skipped)',
  `- ~10 ms task = \`burn(${nodeIters})\` in Node${pythonIters ? `, \`burn(${pythonIters})\` in Python` : ''} (calibrated at the start of the run)`,
  `- Load average before / after: ${machine.loadBefore.map((x) => x.toFixed(2)).join(' ')} / ${machine.loadAfter.map((x) => x.toFixed(2)).join(' ')}. ` +
    'The machine is shared: each table says how much CPU other processes used while it ran. Compare within a table (same run), not with other machines.',
  '',
  '## Goals',
  '',
  ...renderGoals(goals),
  '## Results',
  '',
  'Times are of the measured section inside each process (pool already warm), except cold start (whole process, spawn to exit). ' +
    'Ratios are computed run by run, then the median (and range) is shown.',
  '',
  ...plan.flatMap((w) => renderWorkload(w, data)),
];
const text = `${lines.join('\n').trimEnd()}\n`;
const out =
  opts.out ?? (opts.quick ? join(tmpdir(), 'parajob-bench-quick.md') : join(benchDir, 'RESULTS.md'));
// the soak and recycling sections below this marker come from other scripts (bench/soak,
// bench/recycle-rss.mjs): a new benchmark run keeps them
const MARKER = '<!-- kept across bench runs: soak and recycling -->';
const previous = existsSync(out) ? readFileSync(out, 'utf8') : '';
const kept = previous.includes(MARKER) ? `\n${previous.slice(previous.indexOf(MARKER))}` : '';
writeFileSync(out, text + kept);
process.stdout.write(`\n${text}\nwritten to ${out}\n`);
