/**
 * Finds how many burn() iterations take `targetMs` of CPU here. Timed in CPU time of this
 * process (not wall time), so other processes competing for the cores do not shrink the task.
 */
import { main } from '../lib/subject.mjs';
import { burn } from '../work.mjs';

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

await main(async ({ targetMs = 10 }) => {
  let iters = 100_000;
  // grow until one call is long enough to time reliably
  for (;;) {
    const t0 = cpuMs();
    burn(iters, 1);
    if (cpuMs() - t0 > 20) break;
    iters *= 2;
  }
  const samples = [];
  for (let k = 0; k < 9; k++) {
    const t0 = cpuMs();
    burn(iters, k);
    samples.push(cpuMs() - t0);
  }
  samples.sort((a, b) => a - b);
  const perIter = samples[samples.length >> 1] / iters;
  return { iters: Math.round(targetMs / perIter) };
});
