/**
 * Is a NATS server there? A NATS server greets every client with one `INFO {json}` line before
 * anything else, so a TCP connect and one line read answer it without a NATS client library.
 */
import { connect } from 'node:net';
import { messages } from './messages.js';

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  /** The URL as shown to the user, without credentials. */
  readonly display: string;
}

export const DEFAULT_NATS_PORT = 4222;

/** `nats://user:pass@host:4222`, `tls://host`, `host:port` or `host` → host and port (null when malformed). */
export function parseServerUrl(text: string): ServerAddress | null {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `nats://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return null;
  }
  if (!url.hostname) return null;
  const port = url.port === '' ? DEFAULT_NATS_PORT : Number(url.port);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, display: `${url.protocol}//${url.host}` };
}

export type ProbeResult =
  | { readonly ok: true; readonly info: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string };

/** Connects, reads the INFO line, disconnects. Never throws. */
export function probeNats(address: ServerAddress, timeoutMs = 3000): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    let buffer = '';
    let settled = false;
    const socket = connect({ host: address.host, port: address.port });
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ ok: false, reason: messages.info.timedOut(timeoutMs) }),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end < 0 && buffer.length < 64 * 1024) return;
      const first = (end < 0 ? buffer : buffer.slice(0, end)).trim();
      if (!/^INFO\s/i.test(first)) {
        finish({ ok: false, reason: messages.info.notNats(first) });
        return;
      }
      try {
        finish({ ok: true, info: JSON.parse(first.slice(5).trim()) as Record<string, unknown> });
      } catch {
        finish({ ok: false, reason: messages.info.notNats(first) });
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish({ ok: false, reason: error.code ?? error.message }),
    );
    socket.on('close', () => finish({ ok: false, reason: messages.info.closed() }));
  });
}

/** `nats-server 2.10.22, name NDX…, JetStream on` from an INFO payload. */
export function summarizeInfo(info: Record<string, unknown>): string {
  const parts = [`nats-server ${String(info.version ?? '?')}`];
  if (typeof info.server_name === 'string') parts.push(`name ${info.server_name}`);
  if (info.jetstream === true) parts.push('JetStream on');
  else parts.push('JetStream off');
  if (info.tls_required === true) parts.push('TLS required');
  if (info.auth_required === true) parts.push('auth required');
  return parts.join(', ');
}
