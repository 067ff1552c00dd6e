/**
 * Driver side: one worker address. Hello (with a deadline) tells its capacity and limits; a
 * Session stream is opened when there is work and closed again when idle, so an open session
 * never keeps the user's process alive after its calls are done.
 */
import * as grpc from '@grpc/grpc-js';
import { ENVELOPE_BYTES } from './limits.js';
import {
  type DriverMessage,
  type HelloReply,
  PACKAGE_VERSION,
  PROTOCOL_VERSION,
  type ResultMessage,
  type WorkerClient,
  type WorkerMessage,
  workerService,
} from './proto.js';

export interface LinkEvents {
  /** The worker granted credit (or a session opened): try to send. */
  onCredit(link: WorkerLink): void;
  onResult(link: WorkerLink, result: ResultMessage): void;
  /** The session failed or the worker ended it while batches were in flight. */
  onLost(link: WorkerLink, reason: string, code: grpc.status | undefined): void;
  /** The session ended cleanly with nothing in flight. */
  onIdle(link: WorkerLink): void;
}

export interface LinkSettings {
  readonly credentials: grpc.ChannelCredentials;
  readonly channelOptions: grpc.ChannelOptions;
  readonly connectTimeoutMs: number;
  readonly maxMessageBytes: number;
}

/** Closing an idle session waits this long for more work (a next call, the next batch of an iterator). */
const IDLE_CLOSE_MS = 100;

export class WorkerLink {
  readonly client: WorkerClient;
  state: 'new' | 'live' | 'down' = 'new';
  hello: HelloReply | undefined;
  downReason = '';
  credits = 0;
  /** Batch id → what the backend tracks for it; ids are unique per link. */
  readonly inflight = new Map<number, unknown>();
  private nextId = 1;
  private stream: grpc.ClientDuplexStream<DriverMessage, WorkerMessage> | null = null;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly address: string,
    private readonly settings: LinkSettings,
    private readonly events: LinkEvents,
  ) {
    const { Client } = workerService();
    const max = settings.maxMessageBytes + ENVELOPE_BYTES;
    this.client = new Client(address, settings.credentials, {
      ...settings.channelOptions,
      'grpc.max_send_message_length': max,
      'grpc.max_receive_message_length': max,
    });
  }

  get capacity(): number {
    return this.state === 'live' ? (this.hello?.capacity ?? 0) : 0;
  }

  /** Largest payload both sides accept. */
  get maxPayloadBytes(): number {
    const theirs = this.hello?.maxMessageBytes || Number.POSITIVE_INFINITY;
    return Math.min(this.settings.maxMessageBytes, theirs);
  }

  /** Hello with a deadline; rejects with a one-line reason. */
  connect(): Promise<HelloReply> {
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + this.settings.connectTimeoutMs);
      this.client.Hello(
        { protocol: PROTOCOL_VERSION, driverVersion: PACKAGE_VERSION },
        { deadline },
        (error, reply) => {
          if (error || !reply) {
            this.state = 'down';
            this.downReason = error ? describeStatus(error) : 'no reply';
            reject(new Error(this.downReason));
            return;
          }
          if (reply.protocol !== PROTOCOL_VERSION) {
            this.state = 'down';
            this.downReason = `protocol ${reply.protocol}, expected ${PROTOCOL_VERSION}`;
            reject(new Error(this.downReason));
            return;
          }
          this.hello = reply;
          this.state = 'live';
          resolve(reply);
        },
      );
    });
  }

  /** Opens the session if there is none; credit arrives from the worker right after. */
  ensureSession(): void {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    if (this.stream !== null || this.state !== 'live') return;
    const stream = this.client.Session();
    this.stream = stream;
    this.credits = 0;
    let ended = false;
    let opened = false;
    const gone = (reason: string, code: grpc.status | undefined) => {
      if (ended) return;
      ended = true;
      if (this.stream !== stream) return;
      this.stream = null;
      this.credits = 0;
      // a session that never opened (worker gone since Hello) counts as a lost worker too
      if (this.inflight.size > 0 || (!opened && code !== undefined)) this.events.onLost(this, reason, code);
      else this.events.onIdle(this);
    };
    stream.on('data', (message: WorkerMessage) => {
      if (this.stream !== stream) return;
      opened = true;
      if (message.credit) {
        this.credits += message.credit.slots;
        this.events.onCredit(this);
      } else if (message.result) {
        this.events.onResult(this, message.result);
      }
    });
    stream.on('error', (error: grpc.ServiceError) => gone(describeStatus(error), error.code));
    stream.on('status', (status: grpc.StatusObject) => {
      if (status.code !== grpc.status.OK) gone(describeStatus(status), status.code);
      else gone('the worker ended the session (it is shutting down)', undefined);
    });
    stream.on('end', () => gone('the worker ended the session (it is shutting down)', undefined));
  }

  /** Sends a batch against one credit; returns its id. */
  send(payload: Buffer, timeoutMs: number, tracked: unknown): number {
    const id = this.nextId++;
    this.credits--;
    this.inflight.set(id, tracked);
    this.stream!.write({ batch: { id, payload, timeoutMs } });
    return id;
  }

  cancel(ids: number[]): void {
    if (this.stream !== null && ids.length > 0) this.stream.write({ cancel: { batchIds: ids } });
  }

  get hasSession(): boolean {
    return this.stream !== null;
  }

  /** Nothing in flight: close the session shortly unless more work comes. */
  scheduleIdleClose(): void {
    if (this.stream === null || this.inflight.size > 0 || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.inflight.size > 0 || this.stream === null) return;
      const stream = this.stream;
      this.stream = null;
      this.credits = 0;
      stream.end();
    }, IDLE_CLOSE_MS);
  }

  /** Drops the session of a misbehaving worker (no more messages from it) and marks it down. */
  abandon(reason: string): void {
    this.markDown(reason);
    const stream = this.stream;
    this.stream = null;
    this.credits = 0;
    stream?.cancel();
  }

  markDown(reason: string): void {
    this.state = 'down';
    this.downReason = reason;
  }

  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const stream = this.stream;
    this.stream = null;
    this.credits = 0;
    stream?.cancel();
    this.client.close();
  }
}

export function describeStatus(error: { code?: number; details?: string; message?: string }): string {
  const name = error.code === undefined ? 'ERROR' : (grpc.status[error.code] ?? String(error.code));
  // grpc-js details carry openssl source paths, timestamps and an empty "Resolution note": keep the gist
  const details = (error.details || error.message || 'no details')
    .replace(/\s+/g, ' ')
    .replace(/\s*\(\d{4}-\d\d-\d\dT[^)]*\)/g, '')
    .replace(/:\.\.\/deps\/openssl\/\S+/g, '')
    .replace(/\.?\s*Resolution note:\s*$/, '')
    .trim();
  return `${name}: ${details}`;
}
