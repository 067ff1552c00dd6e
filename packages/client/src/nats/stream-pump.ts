/**
 * Worker side of a streaming task on NATS, in the pool thread that runs it: once the task returned
 * its generator, drives it — each item goes to the driver as it is yielded, at most `window` items
 * ahead of what the consumer took (credit), and a close from the driver (break) stops it with
 * `return()`, so its finally blocks run and the slot is freed. The batch's result (durable) ends
 * the stream: the generator's error, if it threw, travels there, after the items before it.
 */
import type { CoreChannel } from '@parajob/nats';
import { messages } from '../messages.js';
import {
  type DriverMessage,
  decodeMessage,
  encodeMessage,
  newToken,
  type ProducerMessage,
  type STREAM_BOX,
  type StreamBox,
} from './stream-wire.js';

export interface PumpIo {
  readonly channel: CoreChannel;
  /** Stores a value too big for a message in the object store; returns its name. */
  store(value: unknown): Promise<string>;
}

/** While waiting for credit, the start is announced again this often (a lost credit is resent). */
const ANNOUNCE_MS = 1_000;
/** Announces without any answer before the driver is taken for gone (the task then fails). */
const MAX_SILENT_ANNOUNCES = 120;

enum PumpState {
  Running = 0,
  /** The driver closed the stream (break): the generator is returned. */
  Closed = 1,
}

const isIterator = (v: unknown): v is AsyncIterator<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as AsyncIterator<unknown>).next === 'function';

/** Drives `out`, the task's generator, to its end; resolves with the stream's result (undefined). */
export async function pump(out: unknown, box: StreamBox[typeof STREAM_BOX], io: PumpIo): Promise<undefined> {
  if (!isIterator(out)) throw new TypeError(messages.generatorNotStream());
  const it = out;
  const { token, window } = box;
  const producer = newToken();
  const { channel } = io;
  let state = PumpState.Running as PumpState;
  let taken = 0;
  let heard = 0;
  let wake: (() => void) | null = null;
  const send = (m: ProducerMessage) => channel.publish(token, 'items', encodeMessage(m));
  const unsubscribe = channel.subscribe(token, 'credit', (data) => {
    const m = decodeMessage<DriverMessage>(data);
    if (m === undefined || m.p !== producer) return;
    heard++;
    if (m.k === 'close') state = PumpState.Closed;
    else if (m.k === 'credit' && Number.isSafeInteger(m.n)) taken = Math.max(taken, m.n);
    const w = wake;
    wake = null;
    w?.();
  });
  let sent = 0;
  let finished = false;
  try {
    await channel.flush();
    send({ k: 'start', p: producer });
    for (;;) {
      let silent = 0;
      while (state === PumpState.Running && sent - taken >= window) {
        const before = heard;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, ANNOUNCE_MS).unref();
        });
        wake = null;
        silent = heard === before ? silent + 1 : 0;
        if (silent >= MAX_SILENT_ANNOUNCES) throw new Error(messages.streamDriverGone(token));
        if (silent > 0) send({ k: 'start', p: producer });
      }
      if (state === PumpState.Closed) break;
      const step = await it.next();
      if (step.done) {
        finished = true;
        break;
      }
      await sendItem(io, token, producer, sent, step.value);
      sent++;
    }
  } catch (error) {
    finished = true;
    throw error;
  } finally {
    // break in the consumer (or a failure of ours): the generator's finally blocks run here
    if (!finished) await it.return?.(undefined);
    send({ k: 'end', p: producer, n: sent });
    unsubscribe();
    await channel.flush().catch(() => {});
  }
  return undefined;
}

/** Item `n`, inline, or through the object store when a message cannot carry it (as big results do). */
async function sendItem(io: PumpIo, token: string, p: string, n: number, value: unknown): Promise<void> {
  const inline = encodeMessage({ k: 'item', p, n, v: value });
  const data =
    inline.byteLength <= io.channel.maxPayload - 1024
      ? inline
      : encodeMessage({ k: 'item', p, n, s: await io.store(value) });
  io.channel.publish(token, 'items', data);
}
