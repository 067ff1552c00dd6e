/**
 * Large buffers (maxNbytes) for child processes: the parent writes each one once per call to a
 * file in a per-call folder and sends a small reference instead; each worker reads a file once
 * and caches it by id until the parent says the call ended. Deduplicated by identity, so a
 * 100 MB array used by 1 000 tasks is written once and read once per worker.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BufferLike, replaceLargeBuffers, restoreBuffers } from '@parajob/core/backend';
import { messages } from './messages.js';
import { removeDeadOwnersFolders, resolveTempFolder } from './temp-folder.js';

/** The key that marks a reference; long enough not to collide with user data. */
export const SHARED_REF = '@@parajob/child-process/shared';

export interface SharedRef {
  readonly [SHARED_REF]: 1;
  /** `${callId}/${n}`: unique across calls, the workers' cache key. */
  readonly id: string;
  readonly call: string;
  readonly path: string;
  /** Constructor to rebuild: 'ArrayBuffer', 'SharedArrayBuffer', 'DataView' or a typed array name. */
  readonly kind: string;
}

const VIEW_KINDS = new Set([
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'DataView',
]);

function kindOf(buffer: BufferLike): string {
  if (buffer instanceof ArrayBuffer) return 'ArrayBuffer';
  if (typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer)
    return 'SharedArrayBuffer';
  if (buffer instanceof DataView) return 'DataView';
  // Buffer and other subclasses cross as their base typed array, as structured clone would send them
  let proto = Object.getPrototypeOf(buffer);
  while (proto && !VIEW_KINDS.has(proto.constructor?.name)) proto = Object.getPrototypeOf(proto);
  return proto ? proto.constructor.name : 'Uint8Array';
}

function bytesOf(buffer: BufferLike): Uint8Array {
  if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  return new Uint8Array(buffer);
}

/** Parent side: one per call that has large buffers. */
export class CallBuffers {
  private folder: string | undefined;
  private readonly refs = new WeakMap<object, SharedRef>();
  private count = 0;
  private removed = false;

  constructor(
    readonly callId: string,
    private readonly tempFolder: string | null,
    private readonly minBytes: number,
  ) {}

  /** Task arguments with every buffer over the threshold replaced by a reference (writes new ones). */
  replace(args: readonly unknown[]): readonly unknown[] {
    return replaceLargeBuffers(args, this.minBytes, (buffer) => this.refFor(buffer)) as readonly unknown[];
  }

  get path(): string | undefined {
    return this.folder;
  }

  private refFor(buffer: BufferLike): SharedRef {
    let ref = this.refs.get(buffer);
    if (ref === undefined) {
      const folder = this.ensureFolder(buffer.byteLength);
      const path = join(folder, `${this.count}.bin`);
      writeFileSync(path, bytesOf(buffer), { mode: 0o600 });
      ref = {
        [SHARED_REF]: 1,
        id: `${this.callId}/${this.count++}`,
        call: this.callId,
        path,
        kind: kindOf(buffer),
      };
      this.refs.set(buffer, ref);
    }
    return ref;
  }

  private ensureFolder(neededBytes: number): string {
    if (this.folder === undefined) {
      const base = resolveTempFolder(this.tempFolder, neededBytes);
      mkdirSync(base, { recursive: true });
      if (!swept.has(base)) {
        swept.add(base);
        removeDeadOwnersFolders(base);
      }
      this.folder = mkdtempSync(join(base, `parajob-${process.pid}-`));
      live.add(this.folder);
    }
    return this.folder;
  }

  /** Deletes the call's folder (idempotent). */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    if (this.folder === undefined) return;
    rmSync(this.folder, { recursive: true, force: true });
    live.delete(this.folder);
  }
}

/** Temp folders this parent already swept of dead parents' call folders. */
const swept = new Set<string>();

/** Folders of calls still running: removed synchronously if the parent exits first. */
const live = new Set<string>();
process.once('exit', () => {
  for (const folder of live) rmSync(folder, { recursive: true, force: true });
});

function isRef(value: object): boolean {
  return (value as Record<string, unknown>)[SHARED_REF] === 1;
}

function rebuild(bytes: Buffer, kind: string): unknown {
  // readFileSync may hand back a slice of a larger allocation: copy to an exact ArrayBuffer then
  const exact =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? (bytes.buffer as ArrayBuffer)
      : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  if (kind === 'ArrayBuffer') return exact;
  if (kind === 'SharedArrayBuffer') {
    const shared = new SharedArrayBuffer(exact.byteLength);
    new Uint8Array(shared).set(new Uint8Array(exact));
    return shared;
  }
  const View = (globalThis as unknown as Record<string, new (buffer: ArrayBuffer) => unknown>)[kind];
  return VIEW_KINDS.has(kind) && View ? new View(exact) : new Uint8Array(exact);
}

/** Worker side: reads each referenced file once, keeps it until its call is released. */
export class SharedBufferCache {
  private readonly byId = new Map<string, unknown>();
  private readonly byCall = new Map<string, Set<string>>();
  /** Folder of each call not released yet: removed if the parent disappears without cleaning up. */
  private readonly folders = new Map<string, string>();

  /** `watch` learns each folder read from, so it can delete it if the parent dies while a task spins. */
  constructor(private readonly watch?: { watchFolder(f: string): void; forgetFolder(f: string): void }) {}

  restore(args: readonly unknown[]): readonly unknown[] {
    return restoreBuffers(args, isRef, (ref: SharedRef) => this.load(ref)) as readonly unknown[];
  }

  get size(): number {
    return this.byId.size;
  }

  private load(ref: SharedRef): unknown {
    let value = this.byId.get(ref.id);
    if (value === undefined) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(ref.path);
      } catch (error) {
        throw new Error(messages.sharedBufferMissing(ref.path, (error as Error).message), { cause: error });
      }
      value = rebuild(bytes, ref.kind);
      this.byId.set(ref.id, value);
      let ids = this.byCall.get(ref.call);
      if (ids === undefined) this.byCall.set(ref.call, (ids = new Set()));
      ids.add(ref.id);
      const folder = join(ref.path, '..');
      if (!this.folders.has(ref.call)) this.watch?.watchFolder(folder);
      this.folders.set(ref.call, folder);
    }
    return value;
  }

  release(callId: string): void {
    for (const id of this.byCall.get(callId) ?? []) this.byId.delete(id);
    this.byCall.delete(callId);
    const folder = this.folders.get(callId);
    if (folder !== undefined) this.watch?.forgetFolder(folder);
    this.folders.delete(callId);
  }

  /** The parent is gone: delete what it can no longer delete. */
  removeFolders(): void {
    for (const folder of this.folders.values()) rmSync(folder, { recursive: true, force: true });
    this.folders.clear();
  }
}
