/** Every user-facing message of @parajob/threads, in one place so wording stays consistent. */
import { describe } from '@parajob/core/internal';

export const messages = {
  options: {
    notObject: (v: unknown) =>
      `new ThreadsBackend(options): options must be an object such as { nestingLevel }, got ${describe(v)}`,
    unknown: (key: string) =>
      `ThreadsBackend: '${key}' is not an option; the only option is nestingLevel. ` +
      "Tasks run on the caller's event loop, so there is no pool to size or limit: nJobs caps how many batches run at once.",
    nestingLevel: (v: unknown) =>
      `ThreadsBackend: options.nestingLevel must be a non-negative integer, got ${describe(v)}`,
  },
};
