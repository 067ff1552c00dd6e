/**
 * Turns the raw measurements into the markdown report: one table per workload (median,
 * min – max, the ratio that workload is about, computed run by run), the goals, the machine.
 */
import { fmtInt } from './plan.mjs';
import { fmtMb, fmtMs, fmtRange, fmtX, perRun, summary } from './stats.mjs';

/** data[workloadId][subjectId] = { values: number[], runs: measurement[], errors: string[] } */
export function subjectStats(data, workloadId, subjectId) {
  return data[workloadId]?.[subjectId];
}

function relative(w, data, s) {
  const own = data[w.id]?.[s.id]?.values;
  if (w.relativeTo) {
    const ref = data[w.id]?.[w.relativeTo.id]?.values;
    return summary(perRun(own, ref, (a, b) => a / b));
  }
  if (w.speedup && s.baseline) {
    return summary(perRun(data[w.id]?.[s.baseline]?.values, own, (base, t) => base / t));
  }
  if (w.delta && s.baseline) {
    return summary(perRun(own, data[w.id]?.[s.baseline]?.values, (a, b) => a - b));
  }
  if (s.compareWith) {
    const other = data[s.compareWith.workload]?.[s.compareWith.id]?.values;
    return s.compareWith.speedup
      ? summary(perRun(other, own, (base, t) => base / t))
      : summary(perRun(own, other, (a, b) => a / b));
  }
  return undefined;
}

function relativeHeader(w) {
  if (w.relativeTo) return `${w.relativeTo.label} (per run)`;
  if (w.speedup) return 'speed-up over the sequential loop, same language (per run)';
  if (w.delta) return 'minus the bare interpreter (per run)';
  if (w.id === 'distributed') return 'vs the local runs (per run)';
  return undefined;
}

function relativeCell(w, s, rel) {
  if (!rel) return '—';
  if (w.delta) return `${rel.median >= 0 ? '+' : ''}${fmtMs(rel.median)}`;
  if (s.compareWith && !s.compareWith.speedup) return `${fmtX(rel.median)} parajob worker-threads time`;
  if (s.compareWith?.speedup) return `${fmtX(rel.median)} speed-up over the Node loop`;
  const range = rel.n > 1 ? ` (${fmtX(rel.min)} – ${fmtX(rel.max)})` : '';
  return `${fmtX(rel.median)}${range}`;
}

function memoryColumns(w, st) {
  const runs = st?.runs?.filter((m) => m.ok) ?? [];
  const total = summary(runs.map((m) => (m.result?.selfHwm ?? 0) + (m.result?.workersHwm ?? 0)));
  const sampled = summary(runs.map((m) => m.peakTreeRss));
  const moved = summary(
    runs.map((m) => ((m.result?.parentWrote ?? 0) + (m.result?.workersRead ?? 0)) / w.arrayBytes),
  );
  const procs = runs[0]?.result?.workerProcesses ?? 0;
  return [
    total ? `${fmtMb(total.median)} (${fmtX(total.median / w.arrayBytes)} array)` : '—',
    sampled ? fmtMb(sampled.median) : '—',
    moved ? fmtX(moved.median, 1) : '—',
    String(procs + 1),
  ];
}

export function renderWorkload(w, data) {
  const lines = [`### ${w.title}`, ''];
  if (w.note) lines.push(`> ${w.note}`, '');
  const relHeader = relativeHeader(w);
  const head = ['subject', 'median', 'min – max'];
  if (relHeader) head.push(relHeader);
  if (w.memory) {
    head.push(
      'peak RSS, all processes (Σ VmHWM)',
      'peak RSS sampled (Σ VmRSS, 10 ms)',
      'bytes moved through syscalls / array',
      'processes',
    );
  }
  lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  const notes = [];
  for (const s of w.subjects) {
    const st = data[w.id]?.[s.id];
    if (s.skip || !s.command) {
      if (!w.note) notes.push(`${s.label}: ${s.skip}`);
      continue;
    }
    const sum = summary(st?.values ?? []);
    const row = [s.label, sum ? fmtMs(sum.median) : 'failed', fmtRange(sum, fmtMs)];
    if (relHeader) row.push(s.id === w.relativeTo?.id ? '1×' : relativeCell(w, s, relative(w, data, s)));
    if (w.memory) row.push(...memoryColumns(w, st));
    lines.push(`| ${row.join(' | ')} |`);
    for (const e of new Set(st?.errors ?? [])) notes.push(`${s.label} failed: ${e}`);
  }
  const load = summary(Object.values(data[w.id] ?? {}).flatMap((st) => st.runs.map((m) => m.outsideLoad)));
  lines.push('');
  if (load) {
    lines.push(
      `CPU used by other processes while these ran (cores, median / max): ${load.median.toFixed(2)} / ${load.max.toFixed(2)}.`,
    );
  }
  for (const n of [...new Set(notes)]) lines.push(`- ${n}`);
  lines.push('');
  return lines;
}

/** Distributed: NATS time for 100 000 tasks, throughput against BullMQ, a million tasks' driver memory. */
function distributedGoals(data, vals) {
  const goals = [];
  const nats = summary(vals('distributed', 'nats:overhead'));
  goals.push({
    goal: 'Distributed: 100 000 trivial tasks through NATS, 2 local workers, ≤ 100 ms',
    numbers: nats
      ? `${fmtMs(nats.median)} (runs: ${fmtMs(nats.min)} – ${fmtMs(nats.max)})`
      : 'no successful run',
    ok: nats ? nats.median <= 100 : undefined,
  });
  // throughput ratio = BullMQ's time / parajob's for the same number of tasks, run by run
  const vsBull = summary(
    perRun(vals('distributed', 'bullmq'), vals('distributed', 'nats:overhead'), (a, b) => a / b),
  );
  const tps = (id) => {
    const runs = data.distributed?.[id]?.runs?.filter((m) => m.ok) ?? [];
    return summary(runs.map((m) => m.result?.tasksPerSecond));
  };
  const [natsTps, bullTps] = [tps('nats:overhead'), tps('bullmq')];
  goals.push({
    goal: 'Distributed: parajob over NATS ≥ 10× the throughput of BullMQ on Redis (addBulk, 2 worker processes)',
    numbers: vsBull
      ? `${fmtX(vsBull.median)} (runs: ${fmtX(vsBull.min)} – ${fmtX(vsBull.max)}); ${fmtInt(Math.round(natsTps?.median ?? 0))} vs ${fmtInt(Math.round(bullTps?.median ?? 0))} tasks/s`
      : 'no successful paired run',
    ok: vsBull ? vsBull.median >= 10 : undefined,
  });
  const million = data.distributed?.['nats:million']?.runs?.find((m) => m.ok);
  goals.push({
    goal: 'Distributed: 1 000 000 tasks in one call, driver peak RSS (for reference: must not grow with the input)',
    numbers: million
      ? `${fmtMs(million.result.ms)}, driver VmHWM ${fmtMb(million.result.driverHwm ?? 0)} (100 000 tasks: ${fmtMb(summary((data.distributed?.['nats:overhead']?.runs ?? []).filter((m) => m.ok).map((m) => m.result?.driverHwm ?? 0))?.median ?? 0)})`
      : 'no successful run (full runs only)',
    ok: million ? true : undefined,
    reference: true,
  });
  return goals;
}

/** The goals, each with the numbers that decide it. */
export function evaluateGoals(plan, data, env) {
  const byId = Object.fromEntries(plan.map((w) => [w.id, w]));
  const vals = (wid, sid) => data[wid]?.[sid]?.values;
  const goals = [];
  const verdict = (ok) => (ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**');

  if (byId.overhead) {
    const wt = vals('overhead', 'parajob:worker-threads');
    // judged on the pairing least favourable to parajob: either input shape, either joblib idiom
    const pairings = [];
    for (const [pid, shape] of [
      ['parajob:worker-threads', 'generator'],
      ['parajob:worker-threads:array', 'array'],
    ])
      for (const [jid, idiom] of [
        ['joblib:loky', '`with` block'],
        ['joblib:loky:fresh', 'fresh Parallel'],
      ]) {
        const s = summary(perRun(vals('overhead', jid), vals('overhead', pid), (a, b) => a / b));
        if (s) pairings.push({ s, text: `${fmtX(s.median)} ${shape} vs ${idiom}` });
      }
    const worstLoky = [...pairings].sort((a, b) => a.s.median - b.s.median)[0];
    goals.push({
      goal: 'Overhead: parajob worker-threads ≥ 10× faster than joblib loky (least favourable pairing)',
      numbers: pairings.length
        ? pairings.map((p) => p.text).join('; ')
        : env.python.python
          ? 'no successful paired run'
          : 'joblib not available',
      ok: worstLoky ? worstLoky.s.median >= 10 : undefined,
    });
    const pmap = summary(
      perRun(vals('overhead', 'p-map'), vals('overhead', 'parajob:worker-threads:array'), (a, b) => a / b),
    );
    goals.push({
      goal: 'Overhead: the array idiom no slower than p-map in-process',
      numbers: pmap
        ? `${fmtX(pmap.median)} (runs: ${fmtX(pmap.min)} – ${fmtX(pmap.max)})`
        : 'no successful paired run',
      ok: pmap ? pmap.median >= 1 : undefined,
    });
    const shapes = summary(perRun(vals('overhead', 'parajob:worker-threads:array'), wt, (a, b) => a / b));
    goals.push({
      goal: 'Overhead: the array idiom about the cost of a generator (≤ 1.25×)',
      numbers: shapes
        ? `array ${fmtX(shapes.median)} the generator's time (runs: ${fmtX(shapes.min)} – ${fmtX(shapes.max)})`
        : 'no successful paired run',
      ok: shapes ? shapes.median <= 1.25 : undefined,
    });
    const piscinaModes = ['piscina:window', 'piscina:all']
      .map((id) => ({ id, s: summary(perRun(vals('overhead', id), wt, (a, b) => a / b)) }))
      .filter((x) => x.s);
    const worst = piscinaModes.sort((a, b) => a.s.median - b.s.median)[0];
    goals.push({
      goal: 'Overhead: parajob worker-threads ≥ 20× faster than raw piscina, one task per message',
      numbers: piscinaModes.length
        ? piscinaModes
            .map((x) => `${fmtX(x.s.median)} vs ${x.id === 'piscina:all' ? 'all at once' : 'windowed'}`)
            .join('; ')
        : 'no successful paired run',
      ok: worst ? worst.s.median >= 20 : undefined,
    });
  }
  if (byId.scaling) {
    const w = byId.scaling;
    const nJobs = env.cores;
    for (const backend of ['worker-threads', 'child-process']) {
      const sp = summary(
        perRun(vals('scaling', 'node:loop'), vals('scaling', `parajob:${backend}`), (a, b) => a / b),
      );
      goals.push({
        goal: `Scaling: parajob ${backend} ≥ 1.9× the sequential loop on ${nJobs} cores${backend === 'child-process' ? ' (same bar, for reference)' : ''}`,
        numbers: sp
          ? `${fmtX(sp.median)} (runs: ${fmtX(sp.min)} – ${fmtX(sp.max)}), ${w.title.split(':')[1].trim()}`
          : 'no successful paired run',
        ok: sp ? sp.median >= 1.9 : undefined,
      });
    }
  }
  if (byId.scaling) {
    // speed-up per core, worker-threads at 1, 2, … cores (the last is the row at nJobs = cores)
    const nJobs = env.cores;
    const curve = [];
    for (let k = 1; k <= nJobs; k++) {
      const id = k === nJobs ? 'parajob:worker-threads' : `parajob:worker-threads:${k}`;
      const sp = summary(perRun(vals('scaling', 'node:loop'), vals('scaling', id), (a, b) => a / b));
      if (sp) curve.push(`${k}: ${fmtX(sp.median)} (${fmtX(sp.median / k)} per core)`);
    }
    goals.push({
      goal: 'Scaling curve: parajob worker-threads speed-up at 1 … cores (for reference)',
      numbers: curve.length ? curve.join('; ') : 'no successful paired run',
      ok: curve.length ? true : undefined,
      reference: true,
    });
  }
  if (byId.coldStart) {
    const d = summary(
      perRun(vals('coldStart', 'parajob:worker-threads'), vals('coldStart', 'node:bare'), (a, b) => a - b),
    );
    goals.push({
      goal: "Cold start: parajob worker-threads within 150 ms of a bare `node -e ''`",
      numbers: d
        ? `+${fmtMs(d.median)} (runs: +${fmtMs(d.min)} – +${fmtMs(d.max)}); medians ${fmtMs(summary(vals('coldStart', 'parajob:worker-threads'))?.median)} vs ${fmtMs(summary(vals('coldStart', 'node:bare'))?.median)}`
        : 'no successful paired run',
      ok: d ? d.median <= 150 : undefined,
    });
    const vsPiscina = summary(
      perRun(vals('coldStart', 'parajob:worker-threads'), vals('coldStart', 'piscina'), (a, b) => a - b),
    );
    goals.push({
      goal: 'Cold start: parajob worker-threads no slower than piscina (same run)',
      numbers: vsPiscina
        ? `${vsPiscina.median >= 0 ? '+' : '−'}${fmtMs(Math.abs(vsPiscina.median))} (median of per-run differences); medians ${fmtMs(summary(vals('coldStart', 'parajob:worker-threads'))?.median)} vs ${fmtMs(summary(vals('coldStart', 'piscina'))?.median)}`
        : 'no successful paired run',
      ok: vsPiscina ? vsPiscina.median <= 0 : undefined,
    });
  }
  if (byId.largeData) {
    const w = byId.largeData;
    // the goal is judged on parajob's way to hold large data for worker threads; a plain array is
    // shown for reference: two V8 isolates cannot share it without one copy, so it cannot go under 2×
    for (const [id, label, reference] of [
      ['parajob:worker-threads:sab', 'array made with `sharedArray()` (shared memory: no copy)', false],
      ['parajob:worker-threads', 'for reference, a plain Float64Array (copied once per call)', true],
    ]) {
      const runs = data.largeData?.[id]?.runs?.filter((m) => m.ok) ?? [];
      const peak = summary(runs.map((m) => (m.result?.selfHwm ?? 0) + (m.result?.workersHwm ?? 0)));
      goals.push({
        goal: `Large data: worker-threads peak total RSS < 2× the array (${fmtMb(2 * w.arrayBytes)}), ${label}`,
        numbers: peak
          ? `${fmtMb(peak.median)} = ${fmtX(peak.median / w.arrayBytes)} the array`
          : 'no successful run',
        ok: peak ? peak.median < 2 * w.arrayBytes : undefined,
        reference,
      });
    }
    const runs = data.largeData?.['parajob:child-process']?.runs?.filter((m) => m.ok) ?? [];
    const moved = summary(
      runs.map((m) => ((m.result?.parentWrote ?? 0) + (m.result?.workersRead ?? 0)) / w.arrayBytes),
    );
    const procs = runs[0]?.result?.workerProcesses ?? 2;
    // one write of the array plus one read per worker process is what sharing costs; a copy per
    // task would move the array once per task (200×)
    goals.push({
      goal: 'Large data: no per-task copies on child-process',
      numbers: moved
        ? `array bytes moved ${fmtX(moved.median, 1)} (parent writes + ${procs} workers' reads; sharing costs ≤ ${1 + procs}×, copying per task would be ≈ ${fmtInt(w.tasks)}×)`
        : 'no successful run',
      ok: moved ? moved.median <= 1 + procs + 0.5 : undefined,
    });
  }
  if (byId.distributed) goals.push(...distributedGoals(data, vals));
  if (byId.client) goals.push(...clientGoals(data, vals));
  if (byId.clientNats) goals.push(...clientNatsGoals(data, vals));
  return goals.map((g) => ({
    ...g,
    verdict: g.reference && g.ok !== undefined ? 'reference' : verdict(g.ok),
  }));
}

export function renderGoals(goals) {
  return [
    '| goal | result | numbers (medians of per-run ratios) |',
    '|---|---|---|',
    ...goals.map((g) => `| ${g.goal} | ${g.verdict} | ${g.numbers} |`),
    '',
  ];
}

const runsOf = (data, wid, sid) => data[wid]?.[sid]?.runs?.filter((m) => m.ok) ?? [];

/** Issue 13's figures for the local engine of the Ray-like client. */
function clientGoals(data, vals) {
  const goals = [];
  const rate = summary(runsOf(data, 'client', 'client:throughput').map((m) => m.result.tasksPerSecond));
  goals.push({
    goal: 'Client, local engine: ≥ 50 000 trivial tasks/s, remote() then get of all, one client',
    numbers: rate ? `${fmtInt(Math.round(rate.median))} tasks/s` : 'no successful run',
    ok: rate ? rate.median >= 50_000 : undefined,
  });
  const ratio = summary(
    perRun(vals('client', 'client:latency'), vals('client', 'piscina:latency'), (a, b) => a / b),
  );
  goals.push({
    goal: 'Client, local engine: `await get(remote(f))` p50 no slower than `piscina.run()`',
    numbers: ratio
      ? `${fmtX(ratio.median)} piscina's p50; medians ${fmtMs(summary(vals('client', 'client:latency'))?.median)} vs ${fmtMs(summary(vals('client', 'piscina:latency'))?.median)}`
      : 'no successful paired run',
    ok: ratio ? ratio.median <= 1 : undefined,
  });
  const p99 = summary(runsOf(data, 'client', 'client:latency').map((m) => m.result.p99));
  goals.push({
    goal: 'Client, local engine: `await get(remote(f))` p99 under 1 ms',
    numbers: p99 ? fmtMs(p99.median) : 'no successful run',
    ok: p99 ? p99.median < 1 : undefined,
  });
  const wait = summary(vals('client', 'client:wait'));
  goals.push({
    goal: 'Client: `wait` over 10 000 outstanding refs, one ready, ≤ 50 µs per call',
    numbers: wait ? `${(wait.median * 1000).toFixed(0)} µs` : 'no successful run',
    ok: wait ? wait.median <= 0.05 : undefined,
  });
  return goals;
}

function clientNatsGoals(data, vals) {
  const rate = summary(runsOf(data, 'clientNats', 'nats:throughput').map((m) => m.result.tasksPerSecond));
  const p50 = summary(vals('clientNats', 'nats:latency'));
  return [
    {
      goal: 'Client, NATS engine: ≥ 10 000 unbatched tasks/s, one server and two local workers',
      numbers: rate ? `${fmtInt(Math.round(rate.median))} tasks/s` : 'no successful run',
      ok: rate ? rate.median >= 10_000 : undefined,
    },
    {
      goal: 'Client, NATS engine: `get(remote(f))` p50 ≤ 1 ms',
      numbers: p50 ? fmtMs(p50.median) : 'no successful run',
      ok: p50 ? p50.median <= 1 : undefined,
    },
  ];
}
