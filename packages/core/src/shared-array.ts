/**
 * Typed arrays on shared memory, for large inputs read by many tasks. Worker threads receive a
 * SharedArrayBuffer-backed array as a view on the same memory: no copy at all, whatever the number
 * of tasks or calls. A plain array over `maxNbytes` is shared too, but by copying it once per call
 * (two V8 isolates cannot share memory that was not allocated as shared); allocate large data with
 * `sharedArray` to skip that copy, or convert it once with `toShared` to pay it once for many calls.
 * Child processes and remote workers still get the data once per call (a file, an object store).
 */
import { messages } from './messages.js';

export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

export interface TypedArrayConstructor<T extends TypedArray> {
  new (buffer: SharedArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
}

/** A zero-filled `Kind` of `length` elements on a SharedArrayBuffer: `sharedArray(Float64Array, 1e7)`. */
export function sharedArray<T extends TypedArray>(Kind: TypedArrayConstructor<T>, length: number): T {
  if (typeof Kind !== 'function' || typeof Kind.BYTES_PER_ELEMENT !== 'number')
    throw new TypeError(messages.shared.notTypedArrayKind(Kind));
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(messages.shared.badLength(length));
  return new Kind(new SharedArrayBuffer(length * Kind.BYTES_PER_ELEMENT), 0, length);
}

/** `array` itself when it is already on shared memory, else a shared copy of it (made once, by you). */
export function toShared<T extends TypedArray>(array: T): T {
  if (!ArrayBuffer.isView(array) || array instanceof DataView)
    throw new TypeError(messages.shared.notTypedArray(array));
  if (array.buffer instanceof SharedArrayBuffer) return array;
  const copy = sharedArray(array.constructor as TypedArrayConstructor<T>, array.length);
  (copy as unknown as { set(source: T): void }).set(array);
  return copy;
}
