/**
 * One measurement = one fresh child process. The harness samples the child's whole process
 * tree meanwhile (summed RSS, CPU time per process) and the machine's CPU counters, so each
 * result says how much memory the tree held at its peak and how busy other processes kept
 * the machine while it ran.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { cpuMsOf, machineJiffies, memoryOf, processTree, reapedChildrenCpuMs } from './proctree.mjs';

const RESULT_PREFIX = 'RESULT ';

/**
 * Runs `command args`, returns `{ ok, wallMs, result, peakTreeRss, outsideLoad, error }`.
 * `result` is the JSON a measurement script prints on a line starting with `RESULT `.
 */
export function measure(command, args, { cwd, env, timeoutMs = 300_000, sampleMs = 50 } = {}) {
  return new Promise((resolve) => {
    const startJiffies = machineJiffies();
    const startReaped = reapedChildrenCpuMs();
    const start = performance.now();
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));

    let peakTreeRss = 0;
    const cpuByPid = new Map();
    const sample = () => {
      let rss = 0;
      for (const pid of processTree(child.pid)) {
        rss += memoryOf(pid)?.rss ?? 0;
        const cpu = cpuMsOf(pid);
        if (cpu !== undefined) cpuByPid.set(pid, cpu);
      }
      peakTreeRss = Math.max(peakTreeRss, rss);
    };
    const sampler = setInterval(sample, sampleMs);
    let timedOut = false;
    const killer = setTimeout(() => {
      timedOut = true;
      for (const pid of processTree(child.pid).reverse()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    }, timeoutMs);

    child.on('close', (code, signal) => {
      const wallMs = performance.now() - start;
      clearInterval(sampler);
      clearTimeout(killer);
      const end = machineJiffies();
      const busyMs = (end.busy - startJiffies.busy) * 10;
      const sampledCpuMs = [...cpuByPid.values()].reduce((a, b) => a + b, 0);
      // the child has been reaped by now: its exact CPU (threads and waited-for descendants included)
      const treeCpuMs = Math.max(sampledCpuMs, reapedChildrenCpuMs() - startReaped);
      // cores' worth of CPU used by processes outside the measured tree (others' tests, the harness)
      const outsideLoad = Math.max(busyMs - treeCpuMs, 0) / Math.max(wallMs, 1);
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith(RESULT_PREFIX));
      let result;
      try {
        result = line ? JSON.parse(line.slice(RESULT_PREFIX.length)) : undefined;
      } catch {}
      const ok = !timedOut && code === 0 && (result === undefined || !result.error);
      let error;
      if (timedOut) error = `did not exit within ${Math.round(timeoutMs / 1000)} s (killed)`;
      else if (result?.error) error = result.error;
      else if (code !== 0) error = `exit ${signal ?? code}: ${lastLines(stderr)}`;
      resolve({ ok, wallMs, result, peakTreeRss, outsideLoad, treeCpuMs, error, stderr });
    });
  });
}

function lastLines(text, n = 4) {
  return text.trim().split('\n').slice(-n).join(' | ').slice(0, 400);
}

/** Prints the result line of a measurement script (the harness reads the last one). */
export function report(result) {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/**
 * Waits (at most `maxMs`) until the machine has been nearly idle for `windowMs`: what the previous
 * subject left running (joblib's loky workers exit after their parent, a pool's threads wind
 * down) must not be billed to the next one. Returns how long it waited.
 */
export async function settle({ windowMs = 200, maxBusyCores = 0.25, maxMs = 3000 } = {}) {
  const started = performance.now();
  for (;;) {
    const before = machineJiffies();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const after = machineJiffies();
    // jiffies are 10 ms of one core
    const busyCores = ((after.busy - before.busy) * 10) / windowMs;
    const waited = performance.now() - started;
    if (busyCores <= maxBusyCores || waited >= maxMs) return waited;
  }
}
