/**
 * Random soak scenarios and what each must give. A scenario is a call: its backend, its tasks
 * (one misbehaviour each, see tasks.mjs), how it is consumed (run, runSettled, iter left early,
 * abort) and its options. `problemsOf` compares an outcome with what the scenario must give.
 */
import { CallCancelledError, SerializationError, TaskTimeoutError, WorkerCrashedError } from 'parajob';
import { expected } from './tasks.mjs';

/** Seeded PRNG (mulberry32): a run is reproducible from its seed. */
export function random(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
    weighted: (weights) => {
      const total = Object.values(weights).reduce((a, b) => a + b, 0);
      let r = next() * total;
      for (const [key, w] of Object.entries(weights)) if ((r -= w) < 0) return key;
      return Object.keys(weights)[0];
    },
  };
}

const WEIGHTS = {
  'worker-threads': { ok: 60, throwSync: 8, throwAsync: 8, exit: 5, oom: 2, spin: 4, uncloneable: 5 },
  'child-process': {
    ok: 60,
    throwSync: 8,
    throwAsync: 8,
    exit: 5,
    oom: 2,
    spin: 4,
    uncloneable: 5,
    awaitKill: 4,
  },
  // remote workers: task errors only (faults come from outside: worker SIGKILLs, server restarts)
  nats: { ok: 85, throwSync: 8, throwAsync: 7 },
};
const TIMEOUT_MS = 600;
/** The large array some calls pass to their ok tasks (over maxNbytes: shared, not copied). */
export const LARGE = 256 * 1024;

export function makeScenario(rng, backend) {
  const n = 1 + rng.int(backend === 'nats' ? 16 : 10);
  const kinds = Array.from({ length: n }, () => rng.weighted(WEIGHTS[backend]));
  const mode = rng.pick(
    backend === 'nats' ? ['run', 'settled', 'iter'] : ['run', 'run', 'settled', 'iter', 'abort'],
  );
  const crashes = kinds.some((k) => !['ok', 'throwSync', 'throwAsync'].includes(k));
  return {
    backend,
    kinds,
    mode,
    sleeps: kinds.map(() => rng.int(40)),
    large: rng.chance(0.15),
    timeout: kinds.includes('spin') ? TIMEOUT_MS : null,
    // batches of 3 only where one failure stays one task's (a crash takes its whole batch down)
    batchSize: !crashes && rng.chance(0.5) ? 3 : 1,
    take: rng.int(n + 1),
    abortAfter: rng.int(300),
  };
}

export class SoakAbort extends Error {
  name = 'SoakAbort';
  code = 'E_SOAK_ABORT';
}

/** Whether `error` is the typed error task `i` of kind `kind` must fail with (`s`: its scenario). */
export function errorMatches(error, kind, i, s) {
  if (error?.taskIndex !== i) return false;
  // filling 128 MB of heap can take longer than the call's timeout on a busy machine: both are right
  if (kind === 'oom' && s?.timeout != null && error instanceof TaskTimeoutError) return true;
  switch (kind) {
    case 'throwSync':
      return error.name === 'SoakError' && error.code === 'E_SOAK_SYNC';
    case 'throwAsync':
      return error.name === 'SoakError' && error.code === 'E_SOAK_ASYNC';
    case 'exit':
      return error instanceof WorkerCrashedError && error.exitReason === 'EXIT(3)';
    case 'oom':
      return error instanceof WorkerCrashedError && error.exitReason === 'OUT_OF_MEMORY';
    case 'awaitKill':
      return error instanceof WorkerCrashedError && error.exitReason === 'SIGKILL';
    case 'spin':
      return error instanceof TaskTimeoutError && error.timeoutMs === TIMEOUT_MS;
    case 'uncloneable':
      return error instanceof SerializationError && error.phase === 'result';
    default:
      return false;
  }
}

/** Errors parajob promises: a task's own (SoakError, with code and taskIndex) or one of its classes. */
export function isTyped(error) {
  if (error instanceof SoakAbort || error instanceof CallCancelledError) return true;
  if (
    error instanceof WorkerCrashedError ||
    error instanceof TaskTimeoutError ||
    error instanceof SerializationError
  )
    return Number.isInteger(error.taskIndex);
  return error?.name === 'SoakError' && typeof error.code === 'string' && Number.isInteger(error.taskIndex);
}

const resultOf = (s, i) => expected(i) + (s.large ? LARGE : 0);
const describe = (e) =>
  `${e?.constructor?.name}(${e?.code ?? e?.exitReason ?? ''}) task ${e?.taskIndex}: ${e?.message}`;

/** The failure a rejected call may carry: a failing task's own error, or (abort) the abort's reason. */
function callErrorProblems(s, error, { aborted = false } = {}) {
  if (!isTyped(error)) return [`untyped-error: ${describe(error)}`];
  if (aborted && error instanceof SoakAbort) return [];
  const i = error.taskIndex;
  if (Number.isInteger(i) && s.kinds[i] !== 'ok' && errorMatches(error, s.kinds[i], i, s)) return [];
  return [`wrong-error: ${describe(error)} for kinds ${s.kinds.join(',')}`];
}

/** The problems of an outcome (`{ value }`, `{ error }`, `{ values, error? }` for iter). */
export function problemsOf(s, outcome) {
  const failing = s.kinds.some((k) => k !== 'ok');
  if (s.mode === 'settled') {
    if ('error' in outcome) return [`untyped-error: runSettled rejected: ${describe(outcome.error)}`];
    return outcome.value.flatMap((r, i) => {
      if (s.kinds[i] === 'ok')
        return r.status === 'fulfilled' && r.value === resultOf(s, i)
          ? []
          : [`wrong-result: task ${i}: ${r.value ?? describe(r.reason)}`];
      return r.status === 'rejected' && errorMatches(r.reason, s.kinds[i], i, s)
        ? []
        : [
            `wrong-error: task ${i} (${s.kinds[i]}): ${r.status === 'rejected' ? describe(r.reason) : 'fulfilled'}`,
          ];
    });
  }
  if (s.mode === 'iter') {
    const problems = outcome.values.flatMap((v, i) =>
      v === resultOf(s, i) ? [] : [`wrong-result: iter value ${i}: ${v}`],
    );
    if (outcome.error !== undefined) return [...problems, ...callErrorProblems(s, outcome.error)];
    const firstFail = s.kinds.findIndex((k) => k !== 'ok');
    const want = Math.min(s.take, s.kinds.length);
    if (firstFail >= 0 && firstFail < want)
      problems.push(`wrong-result: iter passed failing task ${firstFail}`);
    if (outcome.values.length !== want)
      problems.push(`wrong-result: iter gave ${outcome.values.length} of ${want}`);
    return problems;
  }
  if ('error' in outcome) {
    if (!failing && s.mode !== 'abort')
      return [`wrong-error: ${describe(outcome.error)} with no failing task`];
    return callErrorProblems(s, outcome.error, { aborted: s.mode === 'abort' });
  }
  if (failing) return ['wrong-result: resolved although a task fails'];
  const wrong = s.kinds.map((_, i) => i).filter((i) => outcome.value[i] !== resultOf(s, i));
  return wrong.length === 0 && outcome.value.length === s.kinds.length
    ? []
    : [`wrong-result: tasks ${wrong.join(',')}`];
}
