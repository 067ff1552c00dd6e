/**
 * Connection options shared by the driver, the Ray-like client and workers: servers, auth
 * (token, user/password, .creds), TLS, namespace; and a connect() that turns the client's
 * errors into messages that say what to do.
 */
import { readFileSync } from 'node:fs';
import { credsAuthenticator, type NatsConnection, connect as natsConnect } from '@nats-io/transport-node';
import { messages } from './messages.js';

/** Why a connection to the NATS server could not be opened (`NatsConnectError.code`). */
export type NatsConnectFailure = 'NATS_UNREACHABLE' | 'NATS_AUTHORIZATION' | 'NATS_TLS' | 'NATS_NO_JETSTREAM';

/**
 * The NATS server could not be used: not reachable, credentials or TLS refused, or no JetStream.
 * `code` says which, so a program can tell a server that is down from a wrong setting; the
 * message says what to pass; `cause` is the NATS client's own error.
 */
export class NatsConnectError extends Error {
  override name = 'NatsConnectError';
  readonly code: NatsConnectFailure;
  readonly servers: string;
  constructor(code: NatsConnectFailure, servers: string, message: string, cause: unknown) {
    super(message, { cause });
    this.code = code;
    this.servers = servers;
  }
}

export interface NatsTlsOptions {
  /** CA certificate file that signed the server's certificate. */
  readonly caFile?: string;
  /** Client certificate file (mutual TLS). */
  readonly certFile?: string;
  /** Client key file (mutual TLS). */
  readonly keyFile?: string;
}

export interface NatsConnectionOptions {
  /** 'nats://host:4222' or several URLs of one cluster. */
  readonly servers: string | readonly string[];
  readonly token?: string;
  readonly user?: string;
  readonly pass?: string;
  /** Path of a .creds file (JWT + nkey seed), for operator-mode servers. */
  readonly creds?: string;
  /** true: TLS with the system CAs; or files for a private CA and mutual TLS. */
  readonly tls?: boolean | NatsTlsOptions;
  /** Separates independent clusters sharing one server: part of every stream, subject and bucket name. Default 'default'. */
  readonly namespace?: string;
}

export function validateConnectionOptions(options: NatsConnectionOptions): void {
  const servers = options?.servers;
  const list = typeof servers === 'string' ? [servers] : servers;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    list.some((s) => typeof s !== 'string' || s.length === 0)
  ) {
    throw new TypeError(messages.option.servers(servers));
  }
  if (options.namespace !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(options.namespace)) {
    throw new TypeError(messages.option.namespace(options.namespace));
  }
  const auth = [
    options.token !== undefined,
    options.user !== undefined || options.pass !== undefined,
    options.creds !== undefined,
  ];
  if (auth.filter(Boolean).length > 1) throw new TypeError(messages.option.authConflict());
  if ((options.user === undefined) !== (options.pass === undefined))
    throw new TypeError(messages.option.userWithoutPass());
}

export function serversText(options: NatsConnectionOptions): string {
  return typeof options.servers === 'string' ? options.servers : options.servers.join(',');
}

export async function openConnection(options: NatsConnectionOptions, name: string): Promise<NatsConnection> {
  validateConnectionOptions(options);
  const urls = typeof options.servers === 'string' ? [options.servers] : [...options.servers];
  const tls = options.tls === true ? {} : options.tls ? { ...options.tls } : undefined;
  try {
    return await natsConnect({
      servers: urls,
      name,
      token: options.token,
      user: options.user,
      pass: options.pass,
      authenticator:
        options.creds === undefined ? undefined : credsAuthenticator(readFileSync(options.creds)),
      tls,
      // a restarted server must not lose us: reconnect forever, quickly
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      noAsyncTraces: true,
    });
  } catch (error) {
    const e = error as Error;
    const detail = e.message || String(error);
    const servers = serversText(options);
    if (e.name === 'AuthorizationError' || /authorization/i.test(detail)) {
      throw new NatsConnectError(
        'NATS_AUTHORIZATION',
        servers,
        messages.connect.authorization(servers, detail),
        error,
      );
    }
    if (isTlsFailure(e)) {
      throw new NatsConnectError('NATS_TLS', servers, messages.connect.tls(servers, detail), error);
    }
    throw new NatsConnectError('NATS_UNREACHABLE', servers, messages.connect.failed(servers, detail), error);
  }
}

/** Node's certificate errors (e.g. SELF_SIGNED_CERT_IN_CHAIN), possibly wrapped by the client. */
function isTlsFailure(error: Error): boolean {
  const codes = [error, error.cause].map((e) => String((e as { code?: unknown } | undefined)?.code ?? ''));
  return (
    codes.some((c) => /CERT|TLS|SSL/.test(c)) ||
    /certificate|\bTLS\b|\bSSL\b/i.test(
      `${error.message} ${(error.cause as Error | undefined)?.message ?? ''}`,
    )
  );
}
