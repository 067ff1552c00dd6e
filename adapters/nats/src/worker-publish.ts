/**
 * Worker side: publishes a batch's answer to its driver's results subject. Large values go to the
 * object store (one entry per buffer), a body still over the server's max payload goes whole;
 * publishing is retried through a server restart (bounded), and the message id keeps one copy
 * per batch in the results stream.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import { type NatsConnection, headers as natsHeaders } from '@nats-io/transport-node';
import { explainUnsendableResult, type WireBatch } from '@parajob/core/backend';
import { BlobUploads, HEADROOM, pack } from './codec.js';
import { H } from './names.js';
import type { ResultBody } from './result.js';

/** A server restart takes seconds; 240 tries 250 ms apart cover a minute, then the batch goes back. */
const MAX_TRIES = 240;
const RETRY_MS = 250;

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

  /** Publishes; a result that cannot be cloned is published as the SerializationError that explains it. */
  async publish(answer: Answer, wire?: WireBatch): Promise<void> {
    try {
      await this.send(answer);
    } catch (error) {
      if (
        wire === undefined ||
        answer.body.kind !== 'result' ||
        !/DataCloneError|could not be cloned/i.test(String(error))
      )
        throw error;
      const result = explainUnsendableResult(wire, answer.body.result, error);
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
      payload = pack({ ...body, result: { ...body.result, values } });
    } else payload = pack(body);
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
