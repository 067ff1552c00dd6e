/** Every user-facing message of @parajob/threads, in one place so wording stays consistent. */
import { describe } from '@parajob/core/internal';

export const messages = {
  options: {
    notObject: (v: unknown) =>
      `new ThreadsBackend(options): options must be an empty object or omitted, got ${describe(v)}`,
    unknown: (key: string) =>
      `ThreadsBackend: '${key}' is not an option; ThreadsBackend takes none. ` +
      "Tasks run on the caller's event loop, so there is no pool to size or limit: nJobs caps how many batches run at once.",
  },
};
