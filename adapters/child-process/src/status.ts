/**
 * Which task a worker runs, without one IPC message per task: the worker writes
 * (startedAt, batch seq, position) into a 16-byte status file with one positioned write as each
 * task starts, and the parent reads it only when it needs to know — when a timeout timer fires
 * (core's watchTaskTimeout) or when the worker died. A per-task IPC message would cost a
 * serialization and an event-loop turn in the parent for every task; a pwrite to a file in
 * memory (/dev/shm) costs about a microsecond. The file is unlinked right after it is opened,
 * and the worker gets it as an inherited file descriptor, so nothing is left behind even when
 * the parent is SIGKILLed.
 */
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHM, shmFreeBytes } from './temp-folder.js';

export const STATUS_BYTES = 16;

export interface TaskStatus {
  readonly seq: number;
  readonly position: number;
  /** Date.now() when the task started (same clock in both processes). */
  readonly startedAt: number;
}

let counter = 0;

/** Parent side: an anonymous 16-byte file; pass `fd` to the worker in its stdio. */
export class StatusFile {
  readonly fd: number;
  private readonly buf = Buffer.alloc(STATUS_BYTES);
  private readonly again = Buffer.alloc(STATUS_BYTES);
  private closed = false;

  constructor() {
    const dir = shmFreeBytes(SHM) > 1e6 ? SHM : tmpdir();
    const path = join(
      dir,
      `parajob-status-${process.pid}-${counter++}-${Math.random().toString(36).slice(2)}`,
    );
    this.fd = openSync(path, 'w+', 0o600);
    unlinkSync(path);
  }

  /** The last status the worker wrote, or undefined before its first task. */
  read(): TaskStatus | undefined {
    if (this.closed) return undefined;
    // the worker may be writing while we read: take two identical reads as a consistent one
    for (let attempt = 0; attempt < 5; attempt++) {
      const n = readSync(this.fd, this.buf, 0, STATUS_BYTES, 0);
      if (n < STATUS_BYTES) return undefined;
      readSync(this.fd, this.again, 0, STATUS_BYTES, 0);
      if (this.buf.equals(this.again)) break;
    }
    return {
      startedAt: this.buf.readDoubleLE(0),
      seq: this.buf.readUInt32LE(8),
      position: this.buf.readUInt32LE(12),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Worker side: one positioned write per task start. */
export class StatusWriter {
  private readonly buf = Buffer.alloc(STATUS_BYTES);
  constructor(private fd: number | null) {}

  write(seq: number, position: number): void {
    if (this.fd === null) return;
    this.buf.writeDoubleLE(Date.now(), 0);
    this.buf.writeUInt32LE(seq >>> 0, 8);
    this.buf.writeUInt32LE(position >>> 0, 12);
    try {
      writeSync(this.fd, this.buf, 0, STATUS_BYTES, 0);
    } catch {
      // started outside a pool (no status descriptor): there is nobody to report to
      this.fd = null;
    }
  }
}
