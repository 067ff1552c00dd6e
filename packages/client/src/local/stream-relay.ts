/**
 * A streaming task started by a task (nested): the main thread relays its items to the thread of
 * the task that started it, where an ObjectRefGenerator gives them to the consumer. Credit flows
 * back the same way ('credit' from the consumer's thread is passed on to the producer's).
 */
import { toWireError } from '../error-class.js';
import type { StreamControl, StreamSink } from '../generator.js';
import type { WorkerHandle } from './worker-handle.js';

export class StreamRelay implements StreamSink {
  control: StreamControl | undefined;

  constructor(
    private readonly consumer: WorkerHandle,
    private readonly id: string,
    private readonly encode: (value: unknown) => { value: unknown; refs: boolean },
  ) {}

  push(value: unknown): void {
    const encoded = this.encode(value);
    this.consumer.post({ t: 'item', id: this.id, value: encoded.value, refs: encoded.refs });
  }

  fail(error: unknown): void {
    void toWireError(error, undefined).then((wire) =>
      this.consumer.post({ t: 'itemEnd', id: this.id, error: wire }),
    );
  }

  end(): void {
    this.consumer.post({ t: 'itemEnd', id: this.id, error: null });
  }
}
