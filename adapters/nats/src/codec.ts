/**
 * Message bodies are V8 structured-clone data (v8.serialize): the same values the local process
 * backends can pass (BigInt, Date, Map, Set, typed arrays, errors' own properties), and no code.
 * Buffers too large for a message travel through the object store, one entry per distinct buffer
 * per call; a body still over the server's max payload travels whole as one entry.
 */
import v8 from 'node:v8';
import type { ObjectStore } from '@nats-io/obj';
import { type BufferLike, replaceLargeBuffers, restoreBuffers } from '@parajob/core/backend';

const BLOB = '__parajobBlob';

interface BlobRef {
  readonly [BLOB]: string;
  /** Constructor name: ArrayBuffer, SharedArrayBuffer, DataView, Buffer, Float64Array... */
  readonly type: string;
}

/** Room left in a message for headers and framing. */
export const HEADROOM = 16 * 1024;

export const pack = (value: unknown): Uint8Array => v8.serialize(value);
export const unpack = <T>(bytes: Uint8Array): T => v8.deserialize(bytes) as T;

/** Blob type of a whole value stored by cluster.put(). */
const VALUE = 'value';

/** A reference to a value stored whole in the object store (cluster.put). */
export function valueRef(name: string): object {
  return { [BLOB]: name, type: VALUE };
}

const isBlobRef = (v: object): boolean => typeof (v as Record<string, unknown>)[BLOB] === 'string';

/**
 * A blob that is not there (deleted, expired, never uploaded) or whose bytes are not what its
 * reference says: a fault of the message, not of the server, so retrying it elsewhere cannot help.
 */
export class BlobError extends Error {
  override name = 'BlobError';
}

function bytesOf(buffer: BufferLike): Uint8Array {
  if (ArrayBuffer.isView(buffer))
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength).slice();
  return new Uint8Array(buffer as ArrayBuffer).slice();
}

function rebuild(type: string, bytes: Uint8Array): unknown {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  if (type === VALUE) return unpack(bytes);
  if (type === 'ArrayBuffer') return ab;
  if (type === 'SharedArrayBuffer') {
    const sab = new SharedArrayBuffer(ab.byteLength);
    new Uint8Array(sab).set(new Uint8Array(ab));
    return sab;
  }
  if (type === 'Buffer') return Buffer.from(ab);
  if (type === 'DataView') return new DataView(ab);
  const Ctor = (globalThis as Record<string, unknown>)[type] as {
    new (b: ArrayBuffer): unknown;
    BYTES_PER_ELEMENT?: number;
  };
  if (typeof Ctor !== 'function' || Ctor.BYTES_PER_ELEMENT === undefined) return new Uint8Array(ab);
  return new Ctor(ab);
}

/** Per-call memory of uploaded buffers, so a buffer shared by many tasks is uploaded once. */
export class BlobUploads {
  /** Each buffer's reference and its upload: a batch that reuses it must wait for that upload too. */
  private readonly seen = new Map<unknown, { ref: BlobRef; upload: Promise<unknown> }>();
  private counter = 0;
  readonly names: string[] = [];
  constructor(private readonly prefix: string) {}

  /** Replaces buffers over minBytes with references, uploading each distinct one once. */
  async offload(value: unknown, minBytes: number, store: () => Promise<ObjectStore>): Promise<unknown> {
    const uploads: Array<Promise<unknown>> = [];
    const out = replaceLargeBuffers(value, minBytes, (buffer) => {
      let seen = this.seen.get(buffer);
      if (seen === undefined) {
        const name = `${this.prefix}.${this.counter++}`;
        const type = Buffer.isBuffer(buffer) ? 'Buffer' : (buffer as object).constructor.name;
        const bytes = bytesOf(buffer);
        seen = { ref: { [BLOB]: name, type }, upload: store().then((os) => os.putBlob({ name }, bytes)) };
        this.seen.set(buffer, seen);
        this.names.push(name);
      }
      // a batch encoded while another batch's upload of the same buffer runs must not be sent
      // before that upload is done: a worker would find no such value
      uploads.push(seen.upload);
      return seen.ref;
    });
    await Promise.all(uploads);
    return out;
  }

  /** Uploads a whole body that does not fit in one message. */
  async putBody(name: string, body: Uint8Array, store: () => Promise<ObjectStore>): Promise<void> {
    this.names.push(name);
    await (await store()).putBlob({ name }, body);
  }
}

/** Replaces blob references in a value by the downloaded buffers; returns the names it read. */
export async function restoreBlobs(
  value: unknown,
  store: () => Promise<ObjectStore>,
): Promise<{ value: unknown; names: string[] }> {
  const refs = new Map<string, BlobRef>();
  restoreBuffers(value, isBlobRef, (ref: BlobRef) => {
    refs.set(ref[BLOB], ref);
    return ref;
  });
  if (refs.size === 0) return { value, names: [] };
  const os = await store();
  const bytes = new Map<string, Uint8Array>();
  await Promise.all(
    [...refs.keys()].map(async (name) => {
      const data = await os.getBlob(name);
      if (data === null)
        throw new BlobError(
          `parajob: the large value '${name}' is missing from the object store (deleted or expired)`,
        );
      bytes.set(name, data);
    }),
  );
  const restored = restoreBuffers(value, isBlobRef, (ref: BlobRef) => {
    try {
      return rebuild(ref.type, bytes.get(ref[BLOB])!);
    } catch (error) {
      throw new BlobError(
        `parajob: the large value '${ref[BLOB]}' cannot be read as ${String(ref.type)} (${(error as Error).message})`,
      );
    }
  });
  return { value: restored, names: [...refs.keys()] };
}

export async function fetchBody(name: string, store: () => Promise<ObjectStore>): Promise<Uint8Array> {
  const data = await (await store()).getBlob(name);
  if (data === null)
    throw new BlobError(
      `parajob: the message body '${name}' is missing from the object store (deleted or expired)`,
    );
  return data;
}
