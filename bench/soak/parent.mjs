// A soak parent (bench/soak/exits.mjs starts it): `node parent.mjs <backend> <ending>`. Its call
// shares a large array with workers that spin on it, then it ends: `normal` (a call that completes,
// no close()), `throw`, `exit` (1.5 s later), or it waits to be killed (SIGINT, SIGTERM, SIGKILL).
import { delayed, Parallel } from 'parajob';
import { makeBackend } from './local.mjs';
import { pidOf, spinOn } from './tasks.mjs';

const [backend, ending] = process.argv.slice(2);
const array = new Float64Array(512 * 1024).fill(1);
const parallel = new Parallel({ nJobs: 2, batchSize: 1, maxNbytes: '1M', backend: makeBackend(backend) });
const pids = await parallel.run([delayed(pidOf)(), delayed(pidOf)()]);
console.log(`PIDS ${JSON.stringify([...new Set(pids)].filter((p) => p !== process.pid))}`);
if (ending === 'normal') {
  await parallel.run([delayed(pidOf)(), delayed(pidOf)()]);
  console.log('DONE');
} else {
  parallel.run([delayed(spinOn)(array), delayed(spinOn)(array)]).catch(() => {});
  if (ending === 'throw' || ending === 'exit') {
    setTimeout(() => {
      if (ending === 'exit') process.exit(0);
      throw new Error('the soak parent crashes');
    }, 1500);
  } else setInterval(() => {}, 1000);
}
