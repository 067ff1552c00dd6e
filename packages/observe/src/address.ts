/**
 * HOST:PORT parsing for the servers this package starts (worker metrics, the dashboard): loopback
 * unless the user names another host, and a token required whenever the host is not loopback.
 */
import { messages } from './messages.js';

export interface Address {
  readonly host: string;
  readonly port: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/** `9464`, `:9464`, `0.0.0.0:9464`, `[::1]:9464`; host defaults to 127.0.0.1. */
export function parseAddress(text: string, flag: string): Address {
  const m = /^(?:(\[[^\]]+\]|[^:]*):)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (m === null || !(port >= 0 && port <= 65_535)) throw new RangeError(messages.server.address(flag, text));
  const host = (m[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? '127.0.0.1' : host, port };
}
