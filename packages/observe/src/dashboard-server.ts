/**
 * The dashboard's HTTP side, the same wherever it runs (a thread of its own for this process's
 * calls, the caller's thread for a given `source`): the page, uPlot's files, the JSON state and the
 * event stream, behind the token when there is one (compared in constant time).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Address, isLoopback } from './address.js';
import { staticFile } from './assets.js';
import { type Listening, listenOn } from './http.js';
import { messages } from './messages.js';
import { pageHtml } from './page.js';

/** What the server needs of a state: a snapshot now (also for a new stream's first event). */
export interface StateFeed {
  /** The state as JSON; `consume`: this snapshot is the update every stream gets (its changes are now shown). */
  snapshot(consume: boolean): string | Promise<string>;
}

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly token?: string;
}

/** Throws when the dashboard would be reachable from elsewhere without a token. */
export function checkAccess(options: ServerOptions): void {
  if (!isLoopback(options.host) && !options.token)
    throw new Error(messages.server.tokenRequired('the dashboard', options.host));
}

function tokenOk(given: string | null, token: string | undefined): boolean {
  if (token === undefined) return true;
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface DashboardServer {
  readonly url: string;
  /** Streams connected now. */
  readonly streams: number;
  /** Sends one update to every stream; false when none is connected (nothing was taken). */
  push(): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Serves the dashboard; `onStream` is told when a page connects (after it got its first event),
 * so an event-driven pusher can start watching again.
 */
export async function serveDashboard(
  options: ServerOptions,
  feed: StateFeed,
  onStream: () => void = () => {},
): Promise<DashboardServer> {
  const address: Address = { host: options.host, port: options.port };
  const streams = new Set<ServerResponse>();
  const send = (res: ServerResponse, data: string) => res.write(`data: ${data}\n\n`);

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    // the charting library's files are public; the page and the data are behind the token
    const file = staticFile(url.pathname);
    if (file) {
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'max-age=3600' }).end(file.body);
      return;
    }
    if (!tokenOk(url.searchParams.get('token'), options.token)) {
      res
        .writeHead(401, { 'content-type': 'text/plain' })
        .end('parajob dashboard: a valid ?token= is required\n');
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(pageHtml());
    } else if (url.pathname === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      streams.add(res);
      req.on('close', () => streams.delete(res));
      // the only page: its first event shows every change so far (else they are the others' to show)
      Promise.resolve(feed.snapshot(streams.size === 1)).then(
        (data) => {
          send(res, data);
          onStream();
        },
        () => res.end(),
      );
    } else if (url.pathname === '/state') {
      Promise.resolve(feed.snapshot(false)).then(
        (data) => res.writeHead(200, { 'content-type': 'application/json' }).end(data),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    } else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  };
  const listening: Listening = await listenOn('the dashboard', address, handler);
  return {
    url: `${listening.url}/${options.token ? `?token=${encodeURIComponent(options.token)}` : ''}`,
    get streams() {
      return streams.size;
    },
    async push() {
      if (streams.size === 0) return false;
      const data = await feed.snapshot(true);
      for (const res of streams) send(res, data);
      return true;
    },
    async stop() {
      for (const res of streams) res.end();
      streams.clear();
      await listening.stop();
    },
  };
}
