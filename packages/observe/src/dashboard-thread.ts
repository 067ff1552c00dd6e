/**
 * The dashboard of this process, on a thread of its own (started by startDashboard): it serves the
 * page and pushes updates on its own event loop, from the counters and messages the caller's
 * thread feeds it (shared-calls.ts). A long task or a garbage collection on the caller's thread
 * then no longer delays an update of what changed before it.
 *
 * Updates are event-driven: a change wakes this thread (Atomics.waitAsync on the feed's "unseen"
 * stamp, or a message), which pushes at once unless it pushed less than `intervalMs` ago; then it
 * waits for the rest of the interval. That wait is the coalescing: under thousands of changes per
 * second a page gets at most one update per interval, each showing all of them. A 1 s clock adds an
 * update for the throughput chart's time axis, only while a page is connected.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveDashboard } from './dashboard-server.js';
import type { FeedMessage } from './shared-calls.js';
import { SharedCallsView } from './shared-calls-view.js';

export interface ThreadData {
  readonly buffer: SharedArrayBuffer;
  readonly host: string;
  readonly port: number;
  readonly token: string | undefined;
  readonly intervalMs: number;
  readonly version: string;
}

/** To the caller's thread. */
export type ThreadReport =
  | { t: 'listening'; url: string }
  | { t: 'failed'; message: string }
  | { t: 'closed' };
/** From the caller's thread: the feed, or the order to stop. */
export type ThreadOrder = FeedMessage | { t: 'close' };

enum Pusher {
  /** Nothing due: waiting for a change, or no page connected. */
  Idle = 0,
  /** An update is due; a timer runs until the interval since the last one has passed. */
  Scheduled = 1,
  Stopped = 2,
}

const data = workerData as ThreadData;
const port = parentPort!;
const view = new SharedCallsView(data.buffer, data.version);
let pusher = Pusher.Idle;
let timer: NodeJS.Timeout | undefined;
let lastPush = 0;
/** The one outstanding wait for a counter change, if any (it stays valid across updates). */
let waiting: Promise<void> | undefined;

const server = await serveDashboard(
  { host: data.host, port: data.port, token: data.token },
  { snapshot: (consume) => JSON.stringify(view.state(Date.now(), consume)) },
  () => waitForChange(),
).catch((error: unknown) => {
  port.postMessage({ t: 'failed', message: (error as Error).message } satisfies ThreadReport);
  return undefined;
});

function schedule(): void {
  if (pusher !== Pusher.Idle || !server || server.streams === 0) return;
  pusher = Pusher.Scheduled;
  timer = setTimeout(push, Math.max(0, lastPush + data.intervalMs - Date.now()));
}

function push(): void {
  timer = undefined;
  lastPush = Date.now();
  const settled = (sent: boolean) => {
    if (pusher !== Pusher.Scheduled) return;
    pusher = Pusher.Idle;
    // with no page connected nothing is watched: a page that connects starts it again
    if (sent) waitForChange();
  };
  server!.push().then(settled, () => settled(false));
}

function waitForChange(): void {
  if (waiting || pusher === Pusher.Stopped) return;
  waiting = view.whenChanged().then(() => {
    waiting = undefined;
    schedule();
  });
}

if (server) {
  const clock = setInterval(schedule, 1000);
  port.on('message', (order: ThreadOrder) => {
    if (order.t !== 'close') {
      view.apply(order);
      schedule();
      return;
    }
    pusher = Pusher.Stopped;
    clearTimeout(timer);
    clearInterval(clock);
    void server.stop().finally(() => port.postMessage({ t: 'closed' } satisfies ThreadReport));
  });
  port.postMessage({ t: 'listening', url: server.url } satisfies ThreadReport);
}
