/**
 * The live dashboard: `startDashboard({ port })` serves one page whose state comes over
 * Server-Sent Events, only when something changed and at most every `intervalMs`. This process's
 * calls (the default) are served from a thread of their own (dashboard-thread.ts): the caller's
 * long tasks and garbage collections do not delay the updates. A given `source` (a NATS namespace)
 * is served from this thread. Loopback by default; bound to any other host it needs a token, which
 * the page and the event stream must carry (`?token=`).
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { checkAccess, type DashboardServer, serveDashboard } from './dashboard-server.js';
import { type DashboardState, processState } from './dashboard-state.js';
import type { ThreadData, ThreadOrder, ThreadReport } from './dashboard-thread.js';
import { listen } from './hub.js';
import { CallFeed, sharedCallsBuffer } from './shared-calls.js';
import { CallTracker } from './tracker.js';

export type { DashboardState, WorkerView } from './dashboard-state.js';

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
  /** Default: this process's calls (served from a thread of their own). */
  readonly source?: DashboardSource;
}

export interface Dashboard {
  /** The page's address, with the token when there is one. */
  readonly url: string;
  close(): Promise<void>;
}

/** This process's calls, as a dashboard source on this thread (startDashboard's default uses its own thread). */
export function processSource(version: string): DashboardSource {
  const tracker = new CallTracker();
  const stop = listen(tracker);
  return {
    version: () => tracker.version,
    state: (now) =>
      processState(now, {
        version,
        calls: tracker.callViews(),
        errors: tracker.errorViews(),
        throughput: tracker.throughput(now),
        oldestChangeAt: tracker.takeOldestChange(now),
      }),
    close: stop,
  };
}

export async function startDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  const server = { host: options.host ?? '127.0.0.1', port: options.port ?? 0, token: options.token };
  checkAccess(server);
  const intervalMs = options.intervalMs ?? 50;
  return options.source
    ? sourceDashboard(server, intervalMs, options.source)
    : threadDashboard({ ...server, intervalMs, version: await coreVersion(), buffer: sharedCallsBuffer() });
}

/** This process's calls, served by the dashboard thread and fed from here. */
async function threadDashboard(data: ThreadData): Promise<Dashboard> {
  const worker = new Worker(new URL('./dashboard-thread.js', import.meta.url), { workerData: data });
  // a failure of the dashboard must never fail the user's calls: it ends the feed, nothing more
  let exited = false;
  worker.on('error', () => stop());
  worker.once('exit', () => {
    exited = true;
  });
  const stop = listen(
    new CallFeed(data.buffer, { postMessage: (m) => worker.postMessage(m satisfies ThreadOrder) }),
  );
  const [report] = (await Promise.race([once(worker, 'message'), once(worker, 'exit')])) as [
    ThreadReport | number,
  ];
  if (typeof report !== 'object' || report.t !== 'listening') {
    stop();
    await worker.terminate();
    throw new Error(
      typeof report === 'object' && report.t === 'failed' ? report.message : 'the dashboard thread stopped',
    );
  }
  return {
    url: report.url,
    async close() {
      stop();
      if (exited) return;
      const closed = once(worker, 'message');
      worker.postMessage({ t: 'close' } satisfies ThreadOrder);
      await Promise.race([closed, once(worker, 'exit')]);
      await worker.terminate();
    },
  };
}

/**
 * A given source, served from this thread: its version is checked every `intervalMs` (a cheap
 * comparison) and an update pushed when it moved; every second a full one moves the chart's clock.
 */
async function sourceDashboard(
  options: { host: string; port: number; token: string | undefined },
  intervalMs: number,
  source: DashboardSource,
): Promise<Dashboard> {
  let sent = -1;
  let pushing = false;
  const feed = {
    async snapshot(consume: boolean) {
      const version = source.version();
      const data = JSON.stringify(await source.state(Date.now()));
      if (consume) sent = version;
      return data;
    },
  };
  let server: DashboardServer;
  try {
    server = await serveDashboard(options, feed);
  } catch (error) {
    await source.close?.();
    throw error;
  }
  const timer = setInterval(() => {
    if (pushing || source.version() === sent) return;
    pushing = true;
    server.push().then(
      () => {
        pushing = false;
      },
      () => {
        pushing = false;
      },
    );
  }, intervalMs);
  timer.unref();
  const clock = setInterval(() => {
    sent = -1;
  }, 1000);
  clock.unref();
  return {
    url: server.url,
    async close() {
      clearInterval(timer);
      clearInterval(clock);
      await server.stop();
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
