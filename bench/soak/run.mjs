/**
 * The fault-injection soak (bench/soak/README.md):
 *   npm run soak -- --runs 2000 [--max-seconds 1800] [--seed 7] [--concurrency 3] [--backends worker-threads,child-process,nats] [--json]
 * Every run is a call with random misbehaving tasks, or a parent process that ends by every way a
 * process ends; each is checked (settled, typed error, results, nothing left). Exits 1 on any problem.
 */
import { parseArgs } from 'node:util';
import { shutdownPools } from '@parajob/child-process';
import { natsServerAvailable } from '@parajob/nats/testing';
import { shutdownWorkerThreadsPools } from '@parajob/worker-threads';
import { ENDINGS, runParentExit } from './exits.mjs';
import { children, filesOf, settled } from './leaks.mjs';
import { runLocal } from './local.mjs';
import { NatsRig } from './nats.mjs';
import { makeScenario, problemsOf, random } from './scenario.mjs';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '200' },
    'max-seconds': { type: 'string', default: '600' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '3' },
    backends: { type: 'string', default: 'worker-threads,child-process,nats' },
    'exit-every': { type: 'string', default: '25' },
    json: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);
const DEADLINE = Date.now() + Number(args['max-seconds']) * 1000;
const SEED = Number(args.seed ?? Date.now() % 1e9);
const CONCURRENCY = Number(args.concurrency);
const EXIT_EVERY = Number(args['exit-every']);
const backends = args.backends.split(',');
const local = backends.filter((b) => b !== 'nats');
const rng = random(SEED);
/** Local pools' workers at rest: 2 per pool, plus a few retiring or replaced right now. */
const MAX_IDLE_CHILDREN = 6;

const started = Date.now();
const stats = {
  seed: SEED,
  runs: 0,
  byBackend: {},
  byMode: {},
  tasks: 0,
  injected: {},
  outcomes: { resolved: 0, rejected: {} },
  parentExits: {},
  nats: { workerKills: 0, serverRestarts: 0 },
  hangs: 0,
  leaks: 0,
  untypedErrors: 0,
  wrongResults: 0,
  wrongErrors: 0,
  problems: [],
  seconds: 0,
};
const bump = (table, key, n = 1) => {
  table[key] = (table[key] ?? 0) + n;
};

function record(problems) {
  for (const p of problems) {
    if (p.startsWith('hang')) stats.hangs++;
    else if (p.startsWith('leak')) stats.leaks++;
    else if (p.startsWith('untyped')) stats.untypedErrors++;
    else if (p.startsWith('wrong-result')) stats.wrongResults++;
    else stats.wrongErrors++;
    if (stats.problems.length < 50) stats.problems.push(p);
  }
}

const log = (line) => {
  if (args.verbose) console.error(`[soak ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);
};

async function oneCall(backend, rig) {
  const s = makeScenario(rng, backend);
  const index = stats.runs;
  log(`run ${index} ${backend} ${s.mode} ${s.kinds.join(',')}`);
  bump(stats.byBackend, backend);
  bump(stats.byMode, s.mode);
  stats.tasks += s.kinds.length;
  for (const k of s.kinds) if (k !== 'ok') bump(stats.injected, k);
  const result = backend === 'nats' ? await rig.run(s, rng) : await runLocal(s);
  log(`run ${index} ${result.hang ? 'HANG' : 'settled'}`);
  if (result.hang) return record([`hang: ${backend} ${s.mode} kinds ${s.kinds.join(',')}`]);
  const { outcome } = result;
  if ('error' in outcome && outcome.error !== undefined)
    bump(stats.outcomes.rejected, outcome.error?.name ?? typeof outcome.error);
  else stats.outcomes.resolved++;
  const problems = problemsOf(s, outcome);
  record(problems.map((p) => `${p} [${backend} ${s.mode} batch ${s.batchSize}]`));
}

async function oneParentExit(index) {
  const backend = rng.pick(local);
  const ending = ENDINGS[Math.floor(index / EXIT_EVERY) % ENDINGS.length];
  bump(stats.byBackend, 'parent-exit');
  bump(stats.parentExits, `${backend} ${ending}`);
  record(await runParentExit(backend, ending));
}

async function localLeaks(rigPids) {
  const files = await settled(() => filesOf(process.pid));
  if (files.length > 0) record([`leak-files: ${files.join(', ')}`]);
  const extra = await settled(() => {
    const kids = children(rigPids);
    return kids.length > MAX_IDLE_CHILDREN ? kids : [];
  });
  if (extra.length > 0) record([`leak-processes: ${extra.length} child processes at rest`]);
}

const rig = backends.includes('nats') && natsServerAvailable() ? await NatsRig.start() : undefined;
if (rig) rig.log = log;
if (backends.includes('nats') && rig === undefined)
  console.error('soak: nats-server not found, NATS runs skipped');
try {
  while (stats.runs < RUNS && Date.now() < DEADLINE) {
    const wave = [];
    let natsInWave = false;
    for (let slot = 0; slot < CONCURRENCY && stats.runs < RUNS; slot++) {
      const index = stats.runs++;
      if (local.length > 0 && EXIT_EVERY > 0 && index % EXIT_EVERY === EXIT_EVERY - 1)
        wave.push(oneParentExit(index));
      else if (rig !== undefined && !natsInWave && (local.length === 0 || rng.chance(0.25))) {
        natsInWave = true;
        wave.push(oneCall('nats', rig));
      } else if (local.length > 0) wave.push(oneCall(rng.pick(local), rig));
    }
    await Promise.all(wave);
    if (local.length > 0) await localLeaks(rig?.pids ?? new Set());
    if (natsInWave) for (const left of await rig.checkLeaks()) record([`leak-nats: ${left}`]);
  }
  await shutdownWorkerThreadsPools();
  await shutdownPools();
  const left = await settled(() => children(rig?.pids ?? new Set()), 10_000);
  if (left.length > 0) record([`leak-processes: ${left.join(',')} after shutdown`]);
} finally {
  if (rig) {
    stats.nats = rig.faults;
    await rig.dispose();
  }
}
stats.seconds = Math.round((Date.now() - started) / 1000);
if (args.json) console.log(JSON.stringify(stats));
else console.log(JSON.stringify(stats, null, 2));
const failed = stats.hangs + stats.leaks + stats.untypedErrors + stats.wrongResults + stats.wrongErrors;
process.exitCode = failed > 0 ? 1 : 0;
