/**
 * Worker side: publishes a batch's answer to its driver's results subject. Large values go to the
 * object store (one entry per buffer), a body still over the server's max payload goes whole;
 * publishing is retried through a server restart (bounded), and the message id keeps one copy
 * per batch in the results stream.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import { type NatsConnection, headers as natsHeaders } from '@nats-io/transport-node';
import type { WireBatch } from '@parajob/core/backend';
import { unsendableResult } from '@parajob/remote';
import { BlobUploads, HEADROOM, pack } from './codec.js';
import { H } from './names.js';
import type { ResultBody } from './result.js';

/** A server restart takes seconds; 240 tries 250 ms apart cover a minute, then the batch goes back. */
const MAX_TRIES = 240;
const RETRY_MS = 250;

/** The answer itself does not encode (v8.serialize threw): the message's fault, not the server's. */
class EncodeError extends Error {}

function encode(body: unknown): Uint8Array {
  try {
    return pack(body);
  } catch (error) {
    throw new EncodeError(String(error), { cause: error });
  }
}

export interface Answer {
  readonly subject: string;
  readonly batchId: string;
  readonly attempt: number;
  readonly body: ResultBody;
}

export class ResultPublisher {
  private maxPayload: number;

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly store: () => Promise<ObjectStore>,
    private readonly workerId: string,
  ) {
    this.maxPayload = nc.info?.max_payload ?? 1024 * 1024;
  }

  /**
   * Publishes; a result that cannot be encoded is published as the SerializationError that
   * explains it (@parajob/remote). Only a failure to reach the server rejects.
   */
  async publish(answer: Answer, wire?: WireBatch): Promise<void> {
    try {
      await this.send(answer);
    } catch (error) {
      if (!(error instanceof EncodeError) || answer.body.kind !== 'result') throw error;
      const result = unsendableResult(wire ?? null, answer.body.result, error.cause);
      await this.send({ ...answer, body: { kind: 'result', result } });
    }
  }

  private async send({ subject, batchId, attempt, body }: Answer): Promise<void> {
    const prefix = `${batchId}.r${attempt}`;
    const uploads = new BlobUploads(prefix);
    this.maxPayload = this.nc.info?.max_payload ?? this.maxPayload;
    let payload: Uint8Array;
    if (body.kind === 'result') {
      const values = (await uploads.offload(
        body.result.values,
        Math.floor(this.maxPayload / 4),
        this.store,
      )) as unknown[];
      payload = encode({ ...body, result: { ...body.result, values } });
    } else payload = encode(body);
    const h = natsHeaders();
    h.set(H.batch, batchId);
    h.set(H.attempt, String(attempt));
    h.set(H.worker, this.workerId);
    if (payload.byteLength > this.maxPayload - HEADROOM) {
      const name = `${prefix}.body`;
      await uploads.putBody(name, payload, this.store);
      h.set(H.blob, name);
      payload = new Uint8Array(0);
    }
    for (let tries = 1; ; tries++) {
      try {
        await this.js.publish(subject, payload, { msgID: `${batchId}.result`, headers: h, timeout: 5_000 });
        return;
      } catch (error) {
        if (tries >= MAX_TRIES || /max_payload|permission/i.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }
}
