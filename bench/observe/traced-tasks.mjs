// The overhead workload's task with tracing turned on in the workers that import it (as a user's
// traced worker does); the driver turns it on or off per round, so the same workers serve both.
import '@parajob/observe/tracing';
import { task } from 'parajob';

export const square = task(import.meta.url, function square(x) {
  return x * x;
});
