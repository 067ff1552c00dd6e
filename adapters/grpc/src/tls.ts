/**
 * TLS material for both sides. PEM can be given as text, a Buffer or a file path, so the same
 * option works in code (`tls: { ca: readFileSync(...) }`), in parallelConfig and on the command line.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { describeValue, messages } from './messages.js';

export type Pem = string | Buffer;

export interface GrpcTlsOptions {
  /** CA certificate(s) that signed the worker's certificate; default: the system's CAs. */
  readonly ca?: Pem;
  /** Client certificate, for workers that require one (mTLS: worker started with --tls-require-client-cert). */
  readonly cert?: Pem;
  readonly key?: Pem;
  /** Name to check the worker's certificate against, when it differs from the host in the address. */
  readonly serverName?: string;
}

export function readPem(value: Pem, what: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value.includes('-----BEGIN')) return Buffer.from(value);
  try {
    return readFileSync(value);
  } catch (error) {
    throw new Error(messages.option.readPem(what, value, (error as Error).message));
  }
}

export function validateTls(value: unknown): true | GrpcTlsOptions | undefined {
  if (value === undefined || value === null || value === false) return undefined;
  if (value === true) return true;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TypeError(messages.option.tls(describeValue(value)));
  const t = value as Record<string, unknown>;
  for (const k of ['ca', 'cert', 'key'] as const) {
    if (t[k] !== undefined && typeof t[k] !== 'string' && !Buffer.isBuffer(t[k]))
      throw new TypeError(messages.option.tls(describeValue(value)));
  }
  if (t.serverName !== undefined && typeof t.serverName !== 'string')
    throw new TypeError(messages.option.tls(describeValue(value)));
  if ((t.cert === undefined) !== (t.key === undefined))
    throw new TypeError(messages.option.certKeyPair('GrpcBackend options.tls'));
  return t as GrpcTlsOptions;
}

/** Channel credentials for the driver, plus channel options the TLS settings need. */
export function clientCredentials(tls: true | GrpcTlsOptions | undefined): {
  credentials: grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
} {
  if (tls === undefined) return { credentials: grpc.credentials.createInsecure(), options: {} };
  if (tls === true) return { credentials: grpc.credentials.createSsl(), options: {} };
  const credentials = grpc.credentials.createSsl(
    tls.ca === undefined ? null : readPem(tls.ca, 'CA certificate (tls.ca)'),
    tls.key === undefined ? null : readPem(tls.key, 'client key (tls.key)'),
    tls.cert === undefined ? null : readPem(tls.cert, 'client certificate (tls.cert)'),
  );
  const options: grpc.ChannelOptions =
    tls.serverName === undefined ? {} : { 'grpc.ssl_target_name_override': tls.serverName };
  return { credentials, options };
}

export interface WorkerTls {
  /** This worker's certificate and key (`--tls-cert`, `--tls-key`). */
  readonly cert: Pem;
  readonly key: Pem;
  /** The CA this worker trusts for its peers: client certificates are checked against it (`--tls-ca`). */
  readonly ca?: Pem;
  /** Refuse drivers without a client certificate signed by `ca` (mTLS, `--tls-require-client-cert`). */
  readonly requireClientCert?: boolean;
}

export function serverCredentials(tls: WorkerTls | undefined): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  // grpc-js checks client certificates only when it requires them: a CA alone would be ignored
  if ((tls.ca !== undefined) !== (tls.requireClientCert === true))
    throw new RangeError(messages.worker.tlsClientAuth());
  const pair = {
    cert_chain: readPem(tls.cert, 'certificate (--tls-cert)'),
    private_key: readPem(tls.key, 'key (--tls-key)'),
  };
  const ca = tls.ca === undefined ? null : readPem(tls.ca, 'CA certificate (--tls-ca)');
  return grpc.ServerCredentials.createSsl(ca, [pair], tls.requireClientCert === true);
}
