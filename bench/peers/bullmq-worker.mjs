// BullMQ worker process: one job per task, `square` on the job's data, as BullMQ users write it.
// argv[2]: { host, port, queue, concurrency }. Prints "ready" once connected; stops on SIGTERM.
import { Worker } from 'bullmq';
import { square } from '../work.mjs';

const { host, port, queue, concurrency } = JSON.parse(process.argv[2]);
const worker = new Worker(queue, async (job) => square(job.data), {
  connection: { host, port },
  concurrency,
  // results are read from the completion events; finished jobs need not pile up in Redis
  removeOnComplete: { count: 0 },
});
await worker.waitUntilReady();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  worker.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
