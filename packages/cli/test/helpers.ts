import { PassThrough, Readable } from 'node:stream';
import type { Io } from '../src/io.js';

export interface MemoryIo extends Io {
  out(): string;
  err(): string;
}

/** An Io on memory streams: `stdin` holds `input`; out() and err() return what was written. */
export function memoryIo(input = '', cwd = process.cwd()): MemoryIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return {
    stdin: Readable.from([input]),
    stdout,
    stderr,
    cwd,
    env: { ...process.env },
    out: () => out,
    err: () => err,
  };
}
