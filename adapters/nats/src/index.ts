/**
 * @parajob/nats: distributed parajob on NATS JetStream (DESIGN §6). The driver's backend, the
 * worker, and a Ray-like client, on one protocol.
 */
import { registerBackend } from '@parajob/core/backend';
import { NatsBackend, type NatsBackendOptions } from './backend.js';

export { NatsBackend, type NatsBackendOptions } from './backend.js';
export {
  type BatchedCall,
  type BatchedOutcome,
  Cluster,
  type ClusterOptions,
  connect,
  GetTimeoutError,
  ObjectRef,
  type RemoteArgs,
  type RemoteFunction,
} from './cluster.js';
export {
  NatsConnectError,
  type NatsConnectFailure,
  type NatsConnectionOptions,
  type NatsTlsOptions,
} from './connection.js';
export type { CoreChannel } from './core-channel.js';
export { type Needs, parseResources } from './needs.js';
export type { ConsumerSettings } from './resources.js';
export {
  type NamespaceListener,
  type NamespaceWatch,
  type WatchedWorker,
  watchNamespace,
} from './watch.js';
export { type NatsWorker, type NatsWorkerOptions, startNatsWorker } from './worker.js';

/** Registers the backend as 'nats': `parallelConfig({ backend: 'nats', servers }, body)`. */
export function register(options: { makeDefault?: boolean } = {}): void {
  registerBackend(
    'nats',
    (backendOptions) => new NatsBackend(backendOptions as unknown as NatsBackendOptions),
    options,
  );
}
