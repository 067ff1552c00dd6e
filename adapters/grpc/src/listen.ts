/** `--listen` parsing: a bare port means loopback; any other host only when the user writes it. */
import { isIP } from 'node:net';
import { messages } from './messages.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export function parseListen(value: string | number): ListenAddress {
  const text = String(value).trim();
  const port = (s: string) => {
    if (!/^\d+$/.test(s)) throw new RangeError(messages.worker.listen(text));
    const n = Number(s);
    if (n > 65535) throw new RangeError(messages.worker.listen(text));
    return n;
  };
  if (/^:?\d+$/.test(text)) return { host: '127.0.0.1', port: port(text.replace(/^:/, '')) };
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (v6) {
    if (isIP(v6[1]!) !== 6) throw new RangeError(messages.worker.listen(text));
    return { host: v6[1]!, port: port(v6[2]!) };
  }
  const i = text.lastIndexOf(':');
  if (i <= 0 || text.indexOf(':') !== i) throw new RangeError(messages.worker.listen(text));
  return { host: text.slice(0, i), port: port(text.slice(i + 1)) };
}

/** grpc-js bind target for an address. */
export function bindTarget({ host, port }: ListenAddress): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
