/**
 * ObjectRefs crossing a thread boundary: a ref is a live object (listeners, value), so it travels
 * as a marker `{ $parajobRef: id }` and is rebuilt on the other side. Markers are found by a walk
 * of arrays, plain objects, Maps and Sets (typed arrays and other leaves are not entered), and the
 * walk copies only the containers on the path to a ref: a value without refs is sent as it is.
 */
import { type TypedArray, toShared } from '@parajob/core';
import { actorIdOf, actorNameOf } from './actor-handle.js';
import { isRef, type ObjectRef } from './object-ref.js';

const KEY = '$parajobRef';
const ACTOR = '$parajobActor';
const MAX_DEPTH = 64;

interface Marker {
  readonly [KEY]: string;
}

interface ActorMarker {
  readonly [ACTOR]: string;
  readonly name: string;
}

/** Rebuilds what markers stand for on the receiving side. */
export interface RefResolver {
  ref(id: string): ObjectRef;
  /** An actor handle (calls go through the receiving side's engine). */
  actor(id: string, name: string): unknown;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `value` with every ref replaced by `onRef(ref)`; the same object when nothing changed. */
function mapRefs(value: unknown, onRef: (ref: ObjectRef) => unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (isRef(value)) return onRef(value);
  const actorId = actorIdOf(value);
  if (actorId !== undefined) return onRef(value as never);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const m = mapRefs(v, onRef, depth + 1);
      if (m !== v) (copy ??= value.slice())[i] = m;
    }
    return copy ?? value;
  }
  if (value instanceof Map) {
    let changed = false;
    const entries = [...value].map(([k, v]) => {
      const mk = mapRefs(k, onRef, depth + 1);
      const mv = mapRefs(v, onRef, depth + 1);
      if (mk !== k || mv !== v) changed = true;
      return [mk, mv] as const;
    });
    return changed ? new Map(entries) : value;
  }
  if (value instanceof Set) {
    let changed = false;
    const items = [...value].map((v) => {
      const m = mapRefs(v, onRef, depth + 1);
      if (m !== v) changed = true;
      return m;
    });
    return changed ? new Set(items) : value;
  }
  if (!isPlain(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    const m = mapRefs(v, onRef, depth + 1);
    if (m !== v) (copy ??= { ...(value as Record<string, unknown>) })[key] = m;
  }
  return copy ?? value;
}

/** Replaces refs by markers; `found` is told about each (the sender keeps them reachable). */
export function encodeRefs(
  value: unknown,
  found?: (ref: ObjectRef) => void,
): { value: unknown; refs: boolean } {
  let refs = false;
  const encoded = mapRefs(
    value,
    (ref) => {
      refs = true;
      if (!isRef(ref)) return { [ACTOR]: actorIdOf(ref)!, name: actorNameOf(ref)! } satisfies ActorMarker;
      found?.(ref);
      return { [KEY]: ref.id } satisfies Marker;
    },
    0,
  );
  return { value: encoded, refs };
}

const isMarker = (value: object): value is Marker => {
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === KEY && typeof (value as Record<string, unknown>)[KEY] === 'string';
};

const isActorMarker = (value: object): value is ActorMarker => {
  const keys = Object.keys(value);
  return keys.length === 2 && typeof (value as Record<string, unknown>)[ACTOR] === 'string';
};

/** Rebuilds refs from markers (call only when the sender said the value holds refs). */
export function decodeRefs(value: unknown, toRef: RefResolver, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decodeRefs(value[i], toRef, depth + 1);
    return value;
  }
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => [
      decodeRefs(k, toRef, depth + 1),
      decodeRefs(v, toRef, depth + 1),
    ]);
    value.clear();
    for (const [k, v] of entries) value.set(k, v);
    return value;
  }
  if (value instanceof Set) {
    const items = [...value].map((v) => decodeRefs(v, toRef, depth + 1));
    value.clear();
    for (const v of items) value.add(v);
    return value;
  }
  if (!isPlain(value)) return value;
  if (isMarker(value)) return toRef.ref(value[KEY]);
  if (isActorMarker(value)) return toRef.actor(value[ACTOR], value.name);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) record[key] = decodeRefs(record[key], toRef, depth + 1);
  return value;
}

/** Typed arrays of at least this many bytes are moved to shared memory by put(). */
export const SHARE_BYTES = 64 * 1024;

/**
 * put()'s storage form: large typed arrays (top level, or in arrays and plain objects) on a
 * SharedArrayBuffer, so every task that reads the object sees the same memory (no copy per task).
 */
export function shareLarge(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (ArrayBuffer.isView(value)) {
    if (value instanceof DataView || value.byteLength < SHARE_BYTES) return value;
    return toShared(value as TypedArray);
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const s = shareLarge(value[i], depth + 1);
      if (s !== value[i]) (copy ??= value.slice())[i] = s;
    }
    return copy ?? value;
  }
  if (!isPlain(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    const s = shareLarge(v, depth + 1);
    if (s !== v) (copy ??= { ...(value as Record<string, unknown>) })[key] = s;
  }
  return copy ?? value;
}
