/**
 * @parajob/grpc — remote parajob workers addressed directly over gRPC: the driver backend
 * (`GrpcBackend`, registered as 'grpc') and the worker server (`startGrpcWorker`).
 */
import { registerBackend } from '@parajob/core/backend';
import { GrpcBackend } from './backend.js';
import type { GrpcBackendOptions } from './options.js';

export { GrpcBackend } from './backend.js';
export { DEFAULT_MAX_MESSAGE_BYTES } from './limits.js';
export { type ListenAddress, parseListen } from './listen.js';
export type { GrpcBackendOptions } from './options.js';
export { PROTO_PATH, PROTOCOL_VERSION } from './proto.js';
export type { GrpcTlsOptions, Pem, WorkerTls } from './tls.js';
export { type GrpcWorker, type GrpcWorkerOptions, startGrpcWorker } from './worker.js';

/** Registers the backend as 'grpc'; `parallelConfig({ backend: 'grpc', workers: [...] })` passes its options. */
export function register(options: { makeDefault?: boolean } = {}): void {
  registerBackend(
    'grpc',
    (backendOptions) => new GrpcBackend(backendOptions as unknown as GrpcBackendOptions),
    options,
  );
}
