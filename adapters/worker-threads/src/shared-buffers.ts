/**
 * maxNbytes for worker threads: typed arrays and ArrayBuffers over the threshold become
 * SharedArrayBuffer-backed copies once per call (deduplicated by identity), so a large array used
 * by many tasks is copied once instead of once per task by postMessage. Workers receive views on
 * the same shared memory.
 */
import { type BufferLike, mapWireArgs, replaceLargeBuffers, type WireArgs } from '@parajob/core/backend';

type TypedArrayConstructor = new (
  buffer: SharedArrayBuffer,
  byteOffset: number,
  length: number,
) => ArrayBufferView;

function copyToShared(value: BufferLike): BufferLike {
  if (value instanceof SharedArrayBuffer) return value;
  if (!ArrayBuffer.isView(value)) {
    const shared = new SharedArrayBuffer(value.byteLength);
    new Uint8Array(shared).set(new Uint8Array(value));
    return shared;
  }
  if (value.buffer instanceof SharedArrayBuffer) return value;
  const shared = new SharedArrayBuffer(value.byteLength);
  new Uint8Array(shared).set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  if (value instanceof DataView) return new DataView(shared);
  // a Buffer arrives in a worker as a Uint8Array anyway (structured clone), so share it as one
  const Ctor = (Buffer.isBuffer(value) ? Uint8Array : value.constructor) as TypedArrayConstructor & {
    BYTES_PER_ELEMENT: number;
  };
  return new Ctor(shared, 0, value.byteLength / Ctor.BYTES_PER_ELEMENT);
}

export class LargeBufferSharing {
  /** callId → original buffer → its shared copy; dropped when the call stops. */
  private readonly calls = new Map<string, WeakMap<object, BufferLike>>();

  constructor(private readonly maxNbytes: number | null) {}

  get enabled(): boolean {
    return this.maxNbytes !== null;
  }

  startCall(callId: string): void {
    if (!this.calls.has(callId)) this.calls.set(callId, new WeakMap());
  }

  stopCall(callId: string): void {
    this.calls.delete(callId);
  }

  /** The tasks' arguments with large buffers replaced by their (per call, cached) shared copies. */
  share(callId: string, args: readonly WireArgs[]): readonly WireArgs[] {
    if (this.maxNbytes === null) return args;
    let copies = this.calls.get(callId);
    if (copies === undefined) {
      // submit() without startCall() (a backend driven directly): the cache lives until stopCall()
      copies = new WeakMap();
      this.calls.set(callId, copies);
    }
    const cache = copies;
    const replace = (buffer: BufferLike) => {
      let shared = cache.get(buffer);
      if (shared === undefined) {
        shared = copyToShared(buffer);
        cache.set(buffer, shared);
      }
      return shared;
    };
    const minBytes = this.maxNbytes;
    return mapWireArgs(
      args,
      (values) => replaceLargeBuffers(values, minBytes, replace) as readonly unknown[],
    );
  }
}
