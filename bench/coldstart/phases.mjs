// Where a cold start's milliseconds go, parajob (worker-threads) beside piscina, alternating runs:
//   node bench/coldstart/phases.mjs [--runs 15]
// Per phase, medians over runs (wall ms; CPU ms of the thread named):
//   boot    spawn → the program's first line (Node itself; the same program shape for both)
//   import  the library's import (main thread)
//   workers import done → each worker's first task starts (wall), and that worker thread's CPU by then
//   tasks   import done → all 10 results (wall), main-thread CPU over the same span
//   exit    last result → process gone (parajob: no close(), its idle workers are unref'ed and end with the
//           process; piscina: its destroy(), as in workload 3)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 15;
const script = fileURLToPath(new URL('./phase-run.mjs', import.meta.url));
const subjects = ['parajob', 'piscina'];

function once(subject) {
  return new Promise((resolve, reject) => {
    const spawnedAt = Date.now();
    const child = spawn(process.execPath, [script, subject], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => {
      const gone = Date.now();
      const line = out.split('\n').find((l) => l.startsWith('PHASES '));
      if (code !== 0 || line === undefined)
        return reject(new Error(`${subject} exited with ${code}: ${out}`));
      const m = JSON.parse(line.slice(7));
      const firsts = m.workers.map((w) => w.at - m.imported).sort((a, b) => a - b);
      resolve({
        total: gone - spawnedAt,
        boot: m.script - spawnedAt,
        import: m.imported - m.script,
        importCpu: m.importedCpu - m.scriptCpu,
        firstWorker: firsts[0],
        lastWorker: firsts.at(-1),
        workerCpu: Math.max(...m.workers.map((w) => w.cpuMs)),
        tasks: m.done - m.imported,
        tasksMainCpu: m.doneCpu - m.importedCpu,
        exit: gone - m.done,
      });
    });
    child.on('error', reject);
  });
}

const rows = Object.fromEntries(subjects.map((s) => [s, []]));
for (let i = 0; i < runs; i++) {
  for (const s of i % 2 === 0 ? subjects : [...subjects].reverse()) rows[s].push(await once(s));
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const keys = Object.keys(rows.parajob[0]);
const fmt = (v) => v.toFixed(1).padStart(8);
console.log(
  `runs: ${runs} each, alternating; medians (ms); parajob − piscina = median of per-run differences`,
);
console.log(`${'phase'.padEnd(14)}${'parajob'.padStart(8)}${'piscina'.padStart(8)}${'diff'.padStart(8)}`);
for (const k of keys) {
  const diff = median(rows.parajob.map((r, i) => r[k] - rows.piscina[i][k]));
  console.log(
    `${k.padEnd(14)}${fmt(median(rows.parajob.map((r) => r[k])))}${fmt(median(rows.piscina.map((r) => r[k])))}${fmt(diff)}`,
  );
}
