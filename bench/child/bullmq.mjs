/**
 * The distributed workload's peer: BullMQ on a local Redis, n trivial tasks as n jobs added with
 * `addBulk` (in chunks of 1 000), two worker processes (lib/redis.mjs); the results are collected
 * from the queue's completion events. Spec: { host, port, queue, n }.
 */
import { main, timed } from '../lib/subject.mjs';

const CHUNK = 1000;

await main(async ({ host, port, queue: name, n }) => {
  const { Queue, QueueEvents } = await import('bullmq');
  const connection = { host, port };
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  await queue.obliterate({ force: true }); // nothing left over from the previous measurement
  const run = async (count, offset) => {
    const results = new Array(count);
    let done = 0;
    const finished = new Promise((resolve, reject) => {
      const onCompleted = ({ jobId, returnvalue }) => {
        const i = Number(jobId.slice(1)) - offset;
        if (i < 0 || i >= count || results[i] !== undefined) return;
        results[i] = Number(returnvalue);
        if (++done === count) {
          events.off('completed', onCompleted);
          resolve(results);
        }
      };
      events.on('completed', onCompleted);
      events.once('error', reject);
    });
    for (let start = 0; start < count; start += CHUNK) {
      const jobs = [];
      for (let i = start; i < Math.min(count, start + CHUNK); i++)
        jobs.push({ name: 'square', data: i, opts: { jobId: `t${offset + i}` } });
      await queue.addBulk(jobs);
    }
    return finished;
  };
  try {
    await run(4, 0); // workers connected and warm
    const { ms, value } = await timed(() => run(n, 10));
    if (value.length !== n || value[n - 1] !== (n - 1) * (n - 1))
      throw new Error(`wrong result for task ${n - 1}: ${value[n - 1]}`);
    return { ms, tasksPerSecond: (n / ms) * 1000 };
  } finally {
    await events.close();
    await queue.close();
  }
});
