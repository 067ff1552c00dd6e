/**
 * The workloads and their subjects: what each measurement process runs, how many times,
 * and which ratios (computed within each run, then summarised) the report shows.
 */
import { join } from 'node:path';
import { benchDir } from './machine.mjs';

const node = process.execPath;
const child = (file, spec) => [node, [join(benchDir, 'child', file), JSON.stringify(spec)]];
const py = (env, spec) => [
  env.python.python,
  [join(benchDir, 'py', 'joblib_bench.py'), JSON.stringify(spec)],
];

export const SIZES = {
  full: {
    overhead: { n: 100_000, runs: 5 },
    scaling: { n: 1_000, runs: 3 },
    coldStart: { runs: 10 },
    largeData: { mb: 100, n: 200, runs: 3 },
    distributed: { n: 100_000, scalingN: 1_000, runs: 3 },
    client: { n: 100_000, calls: 2_000, natsN: 1_000, runs: 3 },
  },
  quick: {
    overhead: { n: 20_000, runs: 2 },
    scaling: { n: 100, runs: 1 },
    coldStart: { runs: 3 },
    largeData: { mb: 100, n: 200, runs: 1 },
    distributed: { n: 20_000, scalingN: 100, runs: 1 },
    client: { n: 20_000, calls: 500, natsN: 100, runs: 1 },
  },
};

const PARAJOB_BACKENDS = ['worker-threads', 'child-process', 'threads'];
const PEERS = ['piscina', 'piscina-async', 'poolifier', 'tinypool', 'workerpool'];
const PEER_LABELS = {
  piscina: "piscina (atomics 'sync', its default)",
  'piscina-async': "piscina, atomics 'async'",
  poolifier: 'poolifier (FixedThreadPool)',
  tinypool: 'tinypool',
  workerpool: 'workerpool',
};

/** `env`: { quick, runs?, cores, python, natsServer, redisServer, nodeIters, pythonIters, parajobBuilt, natsBuilt, cliBuilt } */
export function buildPlan(env) {
  const size = env.quick ? SIZES.quick : SIZES.full;
  const runs = (n) => env.runs ?? n;
  const joblibNote = env.python.python
    ? undefined
    : `joblib skipped: no Python with joblib found (tried ${env.python.tried.join(', ')}); install it with \`apt-get install python3-joblib\` (or \`pip install joblib\`) and rerun, or set PARAJOB_BENCH_PYTHON`;
  const parajobNote = env.parajobBuilt
    ? undefined
    : 'parajob is not built: run `npx turbo run build --filter=parajob...`';
  const workloads = [];

  // 1. overhead
  {
    const { n } = size.overhead;
    const nJobs = 2;
    const subjects = [
      ...PARAJOB_BACKENDS.map((backend) => ({
        id: `parajob:${backend}`,
        label: `parajob ${backend}`,
        command: child('overhead.mjs', { kind: 'parajob', backend, n, nJobs }),
        skip: parajobNote,
      })),
      {
        // the README's idiom: an array built with map inside the timed section
        id: 'parajob:worker-threads:array',
        label: 'parajob worker-threads, `items.map((x) => delayed(f)(x))`',
        command: child('overhead.mjs', {
          kind: 'parajob',
          backend: 'worker-threads',
          shape: 'array',
          n,
          nJobs,
        }),
        skip: parajobNote,
      },
      ...PEERS.map((lib) => ({
        id: `${lib}:window`,
        label: `${PEER_LABELS[lib]}, 1 task/message, window ${32 * nJobs}`,
        command: child('overhead.mjs', { kind: 'peer', lib, mode: 'window', n, nJobs }),
      })),
      {
        id: 'piscina:all',
        label: 'piscina, 1 task/message, all at once',
        command: child('overhead.mjs', { kind: 'peer', lib: 'piscina', mode: 'all', n, nJobs }),
      },
      {
        id: 'p-map',
        label: 'p-map (in-process)',
        command: child('overhead.mjs', { kind: 'p-map', n, nJobs }),
      },
      ...['loky', 'threading'].map((backend) => ({
        id: `joblib:${backend}`,
        label: `joblib ${backend} (Python), \`with Parallel(…)\` block`,
        command: env.python.python ? py(env, { workload: 'overhead', backend, n, nJobs }) : undefined,
        skip: joblibNote,
      })),
      {
        id: 'joblib:loky:fresh',
        label: 'joblib loky (Python), a fresh `Parallel(…)` per call',
        command: env.python.python
          ? py(env, { workload: 'overhead', backend: 'loky', fresh: true, n, nJobs })
          : undefined,
        skip: joblibNote,
      },
    ];
    workloads.push({
      id: 'overhead',
      title: `1. Overhead: ${fmtInt(n)} trivial tasks (x * x), nJobs = ${nJobs}, warm pool`,
      runs: runs(size.overhead.runs),
      subjects,
      metric: (m) => m.result?.ms,
      unit: 'ms',
      relativeTo: { id: 'parajob:worker-threads', label: '× parajob worker-threads time' },
    });
  }

  // 2. scaling
  {
    const { n } = size.scaling;
    const nJobs = env.cores;
    const iters = env.nodeIters;
    const subjects = [
      {
        id: 'node:loop',
        label: 'Node sequential loop',
        command: child('scaling.mjs', { kind: 'loop', n, iters, nJobs }),
      },
      ...PARAJOB_BACKENDS.map((backend) => ({
        id: `parajob:${backend}`,
        label: `parajob ${backend}`,
        command: child('scaling.mjs', { kind: 'parajob', backend, n, iters, nJobs }),
        skip: parajobNote,
        baseline: 'node:loop',
      })),
      // the scaling curve: worker-threads at 1, 2, … cores (the full count is the row above)
      ...Array.from({ length: nJobs - 1 }, (_, k) => k + 1).map((cores) => ({
        id: `parajob:worker-threads:${cores}`,
        label: `parajob worker-threads, nJobs = ${cores}`,
        command: child('scaling.mjs', { kind: 'parajob', backend: 'worker-threads', n, iters, nJobs: cores }),
        skip: parajobNote,
        baseline: 'node:loop',
      })),
      ...PEERS.map((lib) => ({
        id: lib,
        label: `${PEER_LABELS[lib]}, 1 task/message, window ${32 * nJobs}`,
        command: child('scaling.mjs', { kind: 'peer', lib, n, iters, nJobs }),
        baseline: 'node:loop',
      })),
      {
        id: 'p-map',
        label: 'p-map (in-process)',
        command: child('scaling.mjs', { kind: 'p-map', n, iters, nJobs }),
        baseline: 'node:loop',
      },
      {
        id: 'python:loop',
        label: 'Python sequential loop',
        command: env.python.python
          ? py(env, { workload: 'scaling', kind: 'loop', n, iters: env.pythonIters })
          : undefined,
        skip: joblibNote,
      },
      {
        id: 'joblib:loky',
        label: 'joblib loky (Python)',
        command: env.python.python
          ? py(env, {
              workload: 'scaling',
              kind: 'parallel',
              backend: 'loky',
              n,
              nJobs,
              iters: env.pythonIters,
            })
          : undefined,
        skip: joblibNote,
        baseline: 'python:loop',
      },
    ];
    workloads.push({
      id: 'scaling',
      title: `2. Scaling: ${fmtInt(n)} tasks of ~10 ms of CPU, nJobs = ${nJobs} (cores)`,
      runs: runs(size.scaling.runs),
      subjects,
      metric: (m) => m.result?.ms,
      unit: 'ms',
      speedup: true,
    });
  }

  // 3. cold start: the whole process, timed by the harness from spawn to exit
  {
    const cold = (file, arg) => [node, [join(benchDir, 'coldstart', file), arg]];
    const subjects = [
      { id: 'node:bare', label: "bare `node -e ''`", command: [node, ['-e', '']] },
      ...PARAJOB_BACKENDS.map((backend) => ({
        id: `parajob:${backend}`,
        label: `parajob ${backend}`,
        command: cold('parajob.mjs', backend),
        skip: parajobNote,
        baseline: 'node:bare',
      })),
      ...PEERS.map((lib) => ({
        id: lib,
        label: PEER_LABELS[lib],
        command: cold('peer.mjs', lib),
        baseline: 'node:bare',
      })),
      {
        id: 'python:bare',
        label: "bare `python3 -c ''`",
        command: env.python.python ? [env.python.python, ['-c', '']] : undefined,
        skip: joblibNote,
      },
      {
        id: 'joblib:loky',
        label: 'joblib loky (Python)',
        command: env.python.python ? py(env, { workload: 'cold-start', backend: 'loky' }) : undefined,
        skip: joblibNote,
        baseline: 'python:bare',
      },
    ];
    workloads.push({
      id: 'coldStart',
      title:
        '3. Cold start: a whole process that imports the library, runs 10 trivial tasks on 2 workers, exits',
      runs: runs(size.coldStart.runs),
      subjects,
      metric: (m) => m.wallMs,
      unit: 'ms',
      delta: true,
      timeoutMs: 30_000,
    });
  }

  // 4. large shared data
  {
    const { mb, n } = size.largeData;
    const nJobs = 2;
    const spec = (s) => child('large-data.mjs', { mb, n, nJobs, ...s });
    const subjects = [
      {
        id: 'node:loop',
        label: 'Node sequential loop (one copy, no workers)',
        command: spec({ kind: 'loop' }),
      },
      {
        id: 'parajob:worker-threads',
        label: 'parajob worker-threads, plain Float64Array (copied once per call)',
        command: spec({ kind: 'parajob', backend: 'worker-threads' }),
        skip: parajobNote,
      },
      {
        id: 'parajob:worker-threads:sab',
        label: 'parajob worker-threads, array made with sharedArray()',
        command: spec({ kind: 'parajob', backend: 'worker-threads', shared: true }),
        skip: parajobNote,
      },
      {
        id: 'parajob:child-process',
        label: 'parajob child-process, plain Float64Array',
        command: spec({ kind: 'parajob', backend: 'child-process' }),
        skip: parajobNote,
      },
      {
        id: 'parajob:threads',
        label: 'parajob threads (in-process)',
        command: spec({ kind: 'parajob', backend: 'threads' }),
        skip: parajobNote,
      },
      ...['piscina', 'piscina-async', 'poolifier'].map((lib) => ({
        id: lib === 'piscina' ? 'piscina:shared' : `${lib}:shared`,
        label: `${PEER_LABELS[lib]}, hand-made SharedArrayBuffer`,
        command: spec({ kind: `${lib}-shared` }),
      })),
      ...(env.quick
        ? []
        : [
            {
              id: 'piscina:copy',
              label: 'piscina, plain array per task (copied), window 4',
              command: spec({ kind: 'piscina-copy' }),
              maxRuns: 1,
            },
          ]),
      {
        id: 'joblib:loky',
        label: 'joblib loky, numpy array (memmapped)',
        command: env.python.numpy ? py(env, { workload: 'large-data', mb, n, nJobs }) : undefined,
        skip: env.python.python
          ? env.python.numpy
            ? undefined
            : 'joblib large-data skipped: numpy missing (`apt-get install python3-numpy`)'
          : joblibNote,
      },
    ];
    workloads.push({
      id: 'largeData',
      title: `4. Large shared data: ${n} tasks, each sums a slice of one ${mb} MB Float64Array, nJobs = ${nJobs}`,
      runs: runs(size.largeData.runs),
      subjects,
      metric: (m) => m.result?.ms,
      unit: 'ms',
      memory: true,
      arrayBytes: mb * 1e6,
      tasks: n,
      sampleMs: 10,
    });
  }

  // 5. distributed
  {
    const { n, scalingN } = size.distributed;
    const natsNote = !env.natsServer
      ? 'distributed workload skipped: nats-server not found (`apt-get install nats-server`, or set PARAJOB_BENCH_NATS_SERVER)'
      : !env.natsBuilt
        ? 'distributed workload skipped: @parajob/nats is not built (`npx turbo run build --filter=@parajob/nats...`)'
        : !env.cliBuilt
          ? 'distributed workload skipped: the CLI is not built (`npx turbo run build --filter=@parajob/cli...`)'
          : undefined;
    const subjects = [
      {
        id: 'nats:overhead',
        label: `NATS, ${fmtInt(n)} trivial tasks`,
        spec: { task: 'square', n },
        skip: natsNote,
        compareWith: { workload: 'overhead', id: 'parajob:worker-threads' },
      },
      {
        id: 'nats:scaling',
        label: `NATS, ${fmtInt(scalingN)} tasks of ~10 ms`,
        spec: { task: 'burn', n: scalingN, iters: env.nodeIters },
        skip: natsNote,
        compareWith: { workload: 'scaling', id: 'node:loop', speedup: true },
      },
      ...(env.quick
        ? []
        : [
            {
              // one call of a million tasks: the driver's memory must not grow with the input
              id: 'nats:million',
              label: `NATS, ${fmtInt(1_000_000)} trivial tasks from a generator in one call (one run)`,
              spec: { task: 'square', n: 1_000_000, generator: true },
              skip: natsNote,
              maxRuns: 1,
            },
          ]),
    ].map((s) => ({ ...s, command: (ctx) => child('distributed.mjs', { ...s.spec, servers: ctx.servers }) }));
    const redisNote = env.redisServer
      ? undefined
      : 'BullMQ skipped: redis-server not found (`apt-get install redis-server`, or set PARAJOB_BENCH_REDIS_SERVER)';
    subjects.push({
      id: 'bullmq',
      label: `BullMQ on a local Redis, ${fmtInt(n)} jobs (addBulk), 2 worker processes × concurrency 32`,
      command: (ctx) => child('bullmq.mjs', { ...ctx.redis, n }),
      skip: redisNote,
    });
    workloads.push({
      id: 'distributed',
      title:
        '5. Distributed: overhead and scaling through NATS JetStream, 2 local workers (--concurrency 1); BullMQ on Redis beside it',
      runs: runs(size.distributed.runs),
      subjects,
      metric: (m) => m.result?.ms,
      unit: 'ms',
      cluster: !natsNote,
      redis: !redisNote,
      note: natsNote,
      timeoutMs: 900_000,
    });
  }
  workloads.push(...clientWorkloads(env, size.client, runs(size.client.runs)));
  return workloads;
}

/** 6 and 7: the Ray-like client, on its local engine (vs piscina.run()) and on NATS. */
function clientWorkloads(env, { n, calls, natsN }, runs) {
  const measure = (spec) => child('client.mjs', spec);
  const local = {
    id: 'client',
    title: `6. The Ray-like client, local engine on 2 CPUs: ${fmtInt(n)} trivial tasks, one call at a time (${fmtInt(calls)} calls, p50), wait, dependencies, nesting`,
    runs,
    metric: (m) => m.result?.ms,
    unit: 'ms',
    subjects: [
      {
        id: 'client:throughput',
        label: `${fmtInt(n)} × remote() then get`,
        command: measure({ measure: 'throughput', n }),
      },
      {
        id: 'client:latency',
        label: 'await get(remote(f)), p50',
        command: measure({ measure: 'latency', n: calls }),
      },
      {
        id: 'piscina:latency',
        label: 'await piscina.run(), p50',
        command: measure({ measure: 'piscina', n: calls }),
      },
      {
        id: 'client:wait',
        label: 'wait() over 10 000 refs, one ready, per call',
        command: measure({ measure: 'wait' }),
      },
      {
        id: 'client:chain',
        label: 'a chain of 1 000 dependent tasks',
        command: measure({ measure: 'chain', n: 1_000 }),
      },
      {
        id: 'client:tree',
        label: 'a tree of 10 000 nested tasks',
        command: measure({ measure: 'tree', n: 10_000 }),
      },
    ],
  };
  const natsNote = !env.natsServer
    ? 'NATS client workload skipped: nats-server not found'
    : !env.natsBuilt || !env.cliBuilt
      ? 'NATS client workload skipped: @parajob/nats or the CLI is not built'
      : undefined;
  const nats = {
    id: 'clientNats',
    title: `7. The Ray-like client on NATS, 2 local workers: ${fmtInt(natsN)} unbatched tasks, one call at a time (p50)`,
    runs,
    metric: (m) => m.result?.ms,
    unit: 'ms',
    cluster: !natsNote,
    note: natsNote,
    timeoutMs: 60_000,
    subjects: [
      {
        id: 'nats:throughput',
        label: `${fmtInt(natsN)} × remote() then get`,
        spec: { measure: 'throughput', n: natsN },
      },
      { id: 'nats:latency', label: 'await get(remote(f)), p50', spec: { measure: 'latency', n: 200 } },
    ].map((s) => ({ ...s, skip: natsNote, command: (ctx) => measure({ ...s.spec, servers: ctx.servers }) })),
  };
  return [local, nats];
}

export function fmtInt(n) {
  return n.toLocaleString('en-US').replace(/,/g, ' ');
}
