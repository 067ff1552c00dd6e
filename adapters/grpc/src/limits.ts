/** Shared defaults of driver and worker. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Room for the protobuf envelope around a payload, so our own size check fires before grpc-js's. */
export const ENVELOPE_BYTES = 64 * 1024;
/**
 * Sessions a worker serves at once by default. Each holds up to --concurrency admitted batches, so
 * this bounds what clients can make a worker hold (sessions x concurrency x message size).
 */
export const DEFAULT_MAX_SESSIONS = 256;
