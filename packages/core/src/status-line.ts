/**
 * The progress bar's line on a terminal, with all other output kept above it (tqdm's `write`).
 * While a bar is shown, `write` of process.stdout, process.stderr and the bar's own stream is
 * wrapped: whole lines are written above the bar (clear its line, write, redraw), a partial line
 * waits for its newline, so the bar is never split. Worker-thread output reaches the parent through
 * `process.stdout.write`/`process.stderr.write`, and child-process workers' pipes are forwarded there
 * too, so task output of every local backend goes the same way.
 */

import { format } from 'node:util';

export type TerminalStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

type WriteFn = (chunk: unknown, encoding?: unknown, callback?: unknown) => boolean;

interface Wrapped {
  readonly original: WriteFn;
  /** Whether `write` was an own property before (else the wrapper is deleted on restore). */
  readonly hadOwn: boolean;
  /** A partial line (no newline yet) written by the caller while the bar is shown. */
  pending: string;
}

/** The one bar shown at a time in this process; a second concurrent bar draws nothing. */
let active: StatusLine | null = null;

/** Prints a line like console.log; above the progress bar when one is shown. */
export function log(...args: unknown[]): void {
  process.stdout.write(`${format(...args)}\n`);
}

type LineState = 'drawn' | 'closed';

export class StatusLine {
  private text = '';
  private state: LineState = 'drawn';
  private readonly wrapped = new Map<TerminalStream, Wrapped>();

  private constructor(private readonly terminal: TerminalStream) {
    for (const stream of new Set<TerminalStream>([terminal, process.stdout, process.stderr]))
      this.wrap(stream);
  }

  /** The bar for `terminal`, or null while another call's bar is shown. */
  static open(terminal: TerminalStream): StatusLine | null {
    if (active !== null) return null;
    active = new StatusLine(terminal);
    return active;
  }

  draw(text: string): void {
    if (this.state !== 'drawn') return;
    this.text = text;
    this.raw(this.terminal, `\r${text}\x1b[K`);
  }

  /** Leaves the last text on its own line and gives the streams back; partial lines follow it. */
  close(finalText?: string): void {
    if (this.state !== 'drawn') return;
    this.state = 'closed';
    if (finalText !== undefined) this.text = finalText;
    this.raw(this.terminal, `\r${this.text}\x1b[K\n`);
    if (active === this) active = null;
    for (const [stream, w] of this.wrapped) {
      if (w.hadOwn) (stream as { write: WriteFn }).write = w.original;
      else delete (stream as { write?: WriteFn }).write;
      if (w.pending) w.original.call(stream, w.pending);
    }
    this.wrapped.clear();
  }

  private wrap(stream: TerminalStream): void {
    const target = stream as unknown as { write: WriteFn };
    const hadOwn = Object.hasOwn(target, 'write');
    const w: Wrapped = { original: target.write, hadOwn, pending: '' };
    this.wrapped.set(stream, w);
    target.write = (chunk, encoding, callback) => {
      const done = typeof encoding === 'function' ? encoding : callback;
      w.pending +=
        typeof chunk === 'string'
          ? chunk
          : Buffer.from(chunk as Uint8Array).toString(
              typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
            );
      const end = w.pending.lastIndexOf('\n');
      if (end >= 0) {
        const lines = w.pending.slice(0, end + 1);
        w.pending = w.pending.slice(end + 1);
        this.raw(this.terminal, '\r\x1b[K');
        w.original.call(stream, lines);
        this.raw(this.terminal, `\r${this.text}\x1b[K`);
      }
      if (typeof done === 'function') process.nextTick(done as () => void);
      return true;
    };
  }

  private raw(stream: TerminalStream, text: string): void {
    const w = this.wrapped.get(stream);
    if (w) w.original.call(stream, text);
    else stream.write(text);
  }
}
