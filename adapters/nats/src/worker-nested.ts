/**
 * Nested tasks on a NATS worker: a task reaches the cluster it runs on through @parajob/client's
 * ambient client (`currentClient()`), which connects from the pool thread with this worker's own
 * connection options and namespace. They reach the threads as worker environment data
 * (node:worker_threads setEnvironmentData), never through process.env, so a child process a task
 * starts does not inherit credentials. What such a client submits is an ordinary batch of the
 * namespace: whichever worker takes it runs it under its own policy (deny by default), so the
 * ambient client adds nothing a driver could not already send.
 *
 * No deadlock for chains and trees deeper than the slots: a task blocked in get()/wait() tells
 * this thread over a BroadcastChannel, and while it waits its slot is lent — the worker pulls one
 * batch more, and the pool's threads run up to LENDABLE batches beyond their slots (a thread whose
 * task waits has an idle event loop). The loan ends when the task resumes: no batch replaces the
 * lent one when it ends. More than LENDABLE tasks waiting at once on one worker would wait for
 * each other (Ray starts new worker processes in that situation, up to its own limits).
 */
import { BroadcastChannel, setEnvironmentData } from 'node:worker_threads';
import type { NatsConnectionOptions } from './connection.js';

/**
 * The environment-data key @parajob/client reads in a pool thread (its nats/ambient.ts spells the
 * same string: @parajob/client must not load the NATS client to learn a constant).
 */
export const AMBIENT_KEY = 'parajob:nats-ambient';

/**
 * Slots a worker lends to tasks waiting in get(), at most: a bound on the batches one worker holds
 * at once (a waiting task costs memory, not CPU). A tree of 10 000 nested tasks on two workers has
 * fewer waiting parents than this on each.
 */
export const LENDABLE = 16_384;

/**
 * The BroadcastChannel blocked/resumed notices go to (one process: a BroadcastChannel never
 * leaves it). Two workers started in one process both hear every notice and both lend: lending
 * too much costs an extra pull, lending too little could deadlock.
 */
export const LOANS_CHANNEL = 'parajob:nats-loans';

/** What a pool thread needs to open its ambient client. */
export interface AmbientSettings {
  readonly connection: NatsConnectionOptions;
  /** The BroadcastChannel name blocked/resumed notices go to. */
  readonly channel: string;
}

/** Workers of this process serving now (tests start several in one process). */
let serving = 0;

/** A notice from a pool thread: +1 a task blocked in get/wait, -1 it resumed. */
type Notice = 1 | -1;

/** Counts the tasks blocked in get/wait on this worker's threads; `onChange` hears each change. */
export class SlotLoans {
  private blocked = 0;
  private readonly channel: BroadcastChannel;

  constructor(connection: NatsConnectionOptions, onChange: () => void) {
    // only plain connection data crosses (no functions): the threads connect with it themselves
    const { servers, token, user, pass, creds, tls, namespace } = connection;
    const settings: AmbientSettings = {
      connection: { servers, token, user, pass, creds, tls, namespace },
      channel: LOANS_CHANNEL,
    };
    // before the pool starts a thread: each thread gets a copy when it starts
    setEnvironmentData(AMBIENT_KEY, settings);
    serving++;
    this.channel = new BroadcastChannel(LOANS_CHANNEL);
    this.channel.onmessage = (event) => {
      const notice = (event as MessageEvent).data as Notice;
      if (notice !== 1 && notice !== -1) return;
      this.blocked = Math.max(0, this.blocked + notice);
      onChange();
    };
    // a worker idle but for the channel must still exit when asked to
    this.channel.unref();
  }

  /** Slots lent now: one per blocked task, at most LENDABLE. */
  get lent(): number {
    return Math.min(this.blocked, LENDABLE);
  }

  close(): void {
    this.channel.close();
    // threads started after the last worker of this process stopped get no ambient client
    if (--serving === 0) setEnvironmentData(AMBIENT_KEY, undefined);
  }
}
