// Workload 3, cold start: a whole program that imports parajob, runs 10 trivial tasks on 2
// workers of the backend named in argv[2], and exits on its own (no close(): pools must not
// keep the process alive).
import { delayed, Parallel } from 'parajob';
import { square } from '../tasks.mjs';

const results = await new Parallel({ nJobs: 2, backend: process.argv[2] }).run(
  Array.from({ length: 10 }, (_, i) => delayed(square)(i)),
);
if (results[9] !== 81) throw new Error(`wrong result ${results[9]}`);
