'use strict';
// The file piscina loads in each thread. piscina loads its handler with require(); on Node 20,
// require() of an ES module aborts the WHOLE process when the thread is terminated while the
// module loads (v8 "IsGraphAsync must be used on an instantiated module": a timeout, an abort or
// a recycle right after a thread starts). import() of the same module has no such failure, so
// this CommonJS entry starts the import at once and hands each batch to worker.js.
const loading = import('./worker.js');
// a failed load is reported by the first batch that awaits it, not as an unhandled rejection
loading.catch(() => {});

function runParajobBatch(task) {
  return loading.then((worker) => worker.default(task));
}
/** The no-op task the pool runs to start a thread for queued batches (pool.ts keepStaffed). */
function wake() {}

module.exports = runParajobBatch;
module.exports.wake = wake;
