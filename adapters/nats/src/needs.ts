/**
 * Resources on NATS (Ray's custom resources and num_cpus, matched against what workers declare).
 * A worker declares `--resources gpu=1,mem=4` (and has CPU = its slots); the registry carries them.
 * A batch that needs resources does not go to the shared work queue, which every worker pulls
 * from: it goes to a second work-queue stream, on a subject named after its needs
 * (`parajob.<ns>.needs.<key>.<call>`, key `CPU-2_gpu-1`), with one durable consumer per key.
 * The driver creates the consumer of a key before its first batch; a worker looks for consumers of
 * keys it can satisfy (at start and on each heartbeat) and pulls from them while it has the
 * resources free, so such a batch only ever runs on a worker that has what it needs.
 */
import { AckPolicy, type JetStreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Names } from './names.js';
import { DEFAULT_ACK_WAIT_MS, DEFAULT_MAX_ATTEMPTS, UNCOUNTED_DELIVERIES } from './resources.js';

/** Amounts by resource name: `{ gpu: 1, mem: 4 }`; `CPU` is a worker's slots. */
export type Needs = Readonly<Record<string, number>>;

/** Resource names: letters and digits (they are part of subjects and consumer names). */
export const RESOURCE_NAME = /^[A-Za-z][A-Za-z0-9]{0,31}$/;
const MAX_AMOUNT = 1_000_000;
const MAX_RESOURCES = 16;

/** Why a resource table is unusable, or undefined when it is fine (whole amounts from 1). */
export function needsProblem(needs: Needs): string | undefined {
  const entries = Object.entries(needs);
  if (entries.length > MAX_RESOURCES) return `at most ${MAX_RESOURCES} resources`;
  for (const [name, amount] of entries) {
    if (!RESOURCE_NAME.test(name))
      return `resource name '${name}' must be letters and digits, starting with a letter`;
    if (!Number.isSafeInteger(amount) || amount < 1 || amount > MAX_AMOUNT)
      return `${name}: ${String(amount)} must be a whole number from 1 to ${MAX_AMOUNT} on NATS`;
  }
  return undefined;
}

/** `--resources gpu=1,mem=4` → `{ gpu: 1, mem: 4 }`; throws a RangeError naming the flag. */
export function parseResources(text: string): Needs {
  const needs: Record<string, number> = {};
  for (const part of text.split(',')) {
    const [name, amount, extra] = part.trim().split('=');
    if (name === undefined || amount === undefined || extra !== undefined || name === '' || amount === '')
      throw new RangeError(
        `--resources ${text}: expected name=amount pairs separated by commas (gpu=1,mem=4)`,
      );
    if (name === 'CPU')
      throw new RangeError(`--resources ${text}: CPU is the worker's --concurrency, not a resource`);
    if (!/^\d+$/.test(amount))
      throw new RangeError(`--resources ${text}: ${name}=${amount}: amounts are whole numbers (gpu=1)`);
    needs[name] = Number(amount);
  }
  const problem = needsProblem(needs);
  if (problem !== undefined) throw new RangeError(`--resources ${text}: ${problem}`);
  return needs;
}

/** The subject token and consumer-name part of a set of needs: sorted `name-amount` joined by `_`. */
export function needsKey(needs: Needs): string {
  return Object.keys(needs)
    .sort()
    .map((name) => `${name}-${needs[name]}`)
    .join('_');
}

/** The needs a key stands for, or null when it is not a key (someone else's consumer). */
export function parseNeedsKey(key: string): Needs | null {
  const needs: Record<string, number> = {};
  for (const part of key.split('_')) {
    const [name, amount] = part.split('-');
    if (name === undefined || amount === undefined || !/^\d+$/.test(amount)) return null;
    needs[name] = Number(amount);
  }
  return needsProblem(needs) === undefined && needsKey(needs) === key ? needs : null;
}

/** Whether `have` (a worker's resources, CPU included) covers `needs`. */
export function satisfies(have: Needs, needs: Needs): boolean {
  for (const [name, amount] of Object.entries(needs)) if ((have[name] ?? 0) < amount) return false;
  return true;
}

export const needsStream = (names: Names) => `${names.tasksStream.slice(0, -'_TASKS'.length)}_NEEDS`;
export const needsSubject = (names: Names, key: string, call: string) =>
  `parajob.${names.namespace}.needs.${key}.${call}`;
export const needsConsumer = (key: string) => `needs_${key}`;
export const NEEDS_CONSUMER_PREFIX = 'needs_';

/** The needs stream, and the consumer of `key` when given; idempotent, from drivers and workers. */
export async function ensureNeedsQueue(
  jsm: JetStreamManager,
  names: Names,
  settings: { readonly ackWaitMs?: number; readonly maxAttempts?: number },
  key?: string,
): Promise<void> {
  try {
    await jsm.streams.add({
      name: needsStream(names),
      subjects: [`parajob.${names.namespace}.needs.>`],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      duplicate_window: nanos(10 * 60_000),
    });
  } catch (error) {
    if (!/already in use|already exists/i.test(String((error as Error)?.message))) throw error;
  }
  if (key === undefined) return;
  try {
    await jsm.consumers.add(needsStream(names), {
      durable_name: needsConsumer(key),
      filter_subject: `parajob.${names.namespace}.needs.${key}.>`,
      ack_policy: AckPolicy.Explicit,
      max_ack_pending: -1,
      ack_wait: nanos(settings.ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
      // as the shared consumer (resources.ts): room for the poison report and for the deliveries
      // that are not attempts
      max_deliver: (settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS) + 1 + UNCOUNTED_DELIVERIES,
    });
  } catch (error) {
    if (!/already in use|already exists/i.test(String((error as Error)?.message))) throw error;
  }
}
