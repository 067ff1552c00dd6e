/**
 * The live dashboard of this process: `startDashboard({ port })` serves one page whose state comes
 * over Server-Sent Events, pushed at most every `intervalMs` and only when something changed.
 * Loopback by default; bound to any other host it needs a token, which the page and the event
 * stream must carry (`?token=`), compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Address, isLoopback } from './address.js';
import { staticFile } from './assets.js';
import { type Listening, listenOn } from './http.js';
import { listen } from './hub.js';
import { messages } from './messages.js';
import { pageHtml } from './page.js';
import { CallTracker, type CallView, type ErrorView, type Throughput } from './tracker.js';

export interface WorkerView {
  readonly id: string;
  readonly version: string;
  /** Batches running on it. */
  readonly running: number;
  /** Batches it runs at once. */
  readonly capacity: number;
}

/** Everything the page shows; one JSON event per update. */
export interface DashboardState {
  readonly title: string;
  readonly now: number;
  /** When the oldest change this update is the first to show happened (Date.now()): its latency starts there. */
  readonly oldestChangeAt: number;
  readonly workers: readonly WorkerView[];
  /** Tasks dispatched and not yet done, or null when the source cannot tell. */
  readonly queueDepth: number | null;
  /** What queueDepth counts, as the page titles it. */
  readonly queueLabel: string;
  readonly calls: readonly CallView[];
  readonly errors: readonly ErrorView[];
  readonly throughput: Throughput;
}

/** Where the state comes from: this process's calls, or a NATS namespace (`parajob dashboard`). */
export interface DashboardSource {
  /** Bumped on every change. */
  version(): number;
  state(now: number): DashboardState | Promise<DashboardState>;
  close?(): Promise<void> | void;
}

export interface DashboardOptions {
  /** Default 0: any free port (see `url`). */
  readonly port?: number;
  /** Default 127.0.0.1. Any other host needs `token`. */
  readonly host?: string;
  readonly token?: string;
  /** Shortest time between two updates, default 50 ms. */
  readonly intervalMs?: number;
  /** Default: this process's calls. */
  readonly source?: DashboardSource;
}

export interface Dashboard {
  /** The page's address, with the token when there is one. */
  readonly url: string;
  close(): Promise<void>;
}

/** This process's calls, as the dashboard's source. */
export function processSource(version: string): DashboardSource {
  const tracker = new CallTracker();
  const stop = listen(tracker);
  return {
    version: () => tracker.version,
    state(now) {
      const calls = tracker.callViews();
      const running = calls.filter((c) => c.status === 'running');
      return {
        title: `parajob — process ${process.pid}`,
        now,
        oldestChangeAt: tracker.takeOldestChange(now),
        workers: [
          {
            id: `pid ${process.pid}`,
            version,
            running: running.reduce((n, c) => n + c.batchesInFlight, 0),
            capacity: running.reduce((n, c) => n + c.workers, 0),
          },
        ],
        queueDepth: running.reduce((n, c) => n + c.dispatched - c.completed - c.failed, 0),
        queueLabel: 'tasks dispatched, not done',
        calls,
        errors: tracker.errorViews(),
        throughput: tracker.throughput(now),
      };
    },
    close: stop,
  };
}

function tokenOk(given: string | null, token: string | undefined): boolean {
  if (token === undefined) return true;
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  const address: Address = { host: options.host ?? '127.0.0.1', port: options.port ?? 0 };
  if (!isLoopback(address.host) && !options.token)
    throw new Error(messages.server.tokenRequired('the dashboard', address.host));
  const source = options.source ?? processSource(await coreVersion());
  const interval = options.intervalMs ?? 50;
  const streams = new Set<ServerResponse>();
  let sent = -1;
  let pushing = false;

  const push = async (force: ServerResponse | null) => {
    if (pushing && force === null) return;
    const version = source.version();
    if (force === null && (version === sent || streams.size === 0)) return;
    pushing = true;
    try {
      const data = `data: ${JSON.stringify(await source.state(Date.now()))}\n\n`;
      if (force) force.write(data);
      else {
        sent = version;
        for (const res of streams) res.write(data);
      }
    } finally {
      pushing = false;
    }
  };
  const timer = setInterval(() => void push(null).catch(() => {}), interval);
  timer.unref();
  // the throughput chart moves with time even when nothing happens: a full update every second
  const clock = setInterval(() => {
    sent = -1;
  }, 1000);
  clock.unref();

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
      void push(res).catch(() => {});
    } else if (url.pathname === '/state') {
      Promise.resolve(source.state(Date.now())).then(
        (state) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state)),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    } else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  };
  let listening: Listening;
  try {
    listening = await listenOn('the dashboard', address, handler);
  } catch (error) {
    clearInterval(timer);
    clearInterval(clock);
    await source.close?.();
    throw error;
  }
  return {
    url: `${listening.url}/${options.token ? `?token=${encodeURIComponent(options.token)}` : ''}`,
    async close() {
      clearInterval(timer);
      clearInterval(clock);
      for (const res of streams) res.end();
      streams.clear();
      await listening.stop();
      await source.close?.();
    },
  };
}

async function coreVersion(): Promise<string> {
  try {
    const { createRequire } = await import('node:module');
    const pkg = createRequire(import.meta.url)('@parajob/core/package.json') as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}
