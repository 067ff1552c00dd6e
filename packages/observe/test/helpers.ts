import { BackendBase, type SubmitOptions, type TaskBatch } from '@parajob/core/backend';

/** An in-process backend (docs/writing-a-backend.md's InlineBackend): tasks run on the caller's thread. */
export class InlineBackend extends BackendBase {
  readonly name = 'inline';
  override readonly supportsSharedMem = true;
  submit(batch: TaskBatch, { signal }: SubmitOptions) {
    return batch.run({ signal });
  }
}
