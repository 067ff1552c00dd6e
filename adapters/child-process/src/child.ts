/**
 * Entry of a worker process (forked by the pool). Receives batches over IPC, runs them with
 * core's runBatch, answers with the result; writes the running task into the status file;
 * exits when the parent goes away.
 */
import { writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import {
  explainUnsendableResult,
  runBatch,
  serializeError,
  type WireBatch,
  type WireResult,
} from '@parajob/core/backend';
import { preloadFunctions, StrayErrors } from '@parajob/core/internal';
import './register.js';
import type { ChildMessage, ParentMessage } from './protocol.js';
import { STATUS_FD } from './protocol.js';
import { SharedBufferCache } from './shared-buffers.js';
import { StatusWriter } from './status.js';
import { removeOwnerFolders, tempFolderBases } from './temp-folder.js';
import { watchParent } from './watchdog.js';

const reportPath = process.argv[2];
if (reportPath) {
  // on a fatal V8 error (out of memory) Node writes a report there: the parent reads its trigger
  const report = process.report as NodeJS.ProcessReport & { excludeNetwork?: boolean };
  report.reportOnFatalError = true;
  report.directory = dirname(reportPath);
  report.filename = basename(reportPath);
  report.excludeNetwork = true;
}

const status = new StatusWriter(STATUS_FD);
const parent = process.ppid;
const watchdog = watchParent(parent);
const buffers = new SharedBufferCache(watchdog);
let dying = false;
/** How long a disconnected worker waits to see its parent gone before it leaves without sweeping. */
const ORPHAN_CHECK_MS = 2000;
const strays = new StrayErrors();

/** Errors of a channel whose other end is gone: the parent was killed (e.g. SIGINT to it alone). */
const CHANNEL_GONE = new Set(['EPIPE', 'ECONNRESET', 'ERR_IPC_CHANNEL_CLOSED']);

/**
 * The parent went away while this worker answered: exit quietly, as on 'disconnect' (which may
 * come later). Without this, the failed write becomes an uncaught 'error' event and every worker
 * prints a `write EPIPE` stack into the terminal the user just interrupted.
 */
function onSent(error: Error | null): void {
  if (error === null) return;
  if (CHANNEL_GONE.has((error as NodeJS.ErrnoException).code ?? '')) {
    buffers.removeFolders();
    process.exit(0);
  }
  throw error;
}

function send(message: ChildMessage, done: (error: Error | null) => void = onSent): void {
  if (!process.connected) return;
  process.send!(message, undefined, undefined, done);
}

async function run(seq: number, wire: WireBatch): Promise<void> {
  // task modules load outside the call's async context: much cheaper (see preloadFunctions)
  await preloadFunctions(wire);
  const result = await strays.run(wire.call, () =>
    runBatch(wire, {
      onTaskStart: (position) => status.write(seq, position),
      mapArgs: (args) => buffers.restore(args),
    }),
  );
  // a fatal error raised while the batch ran: the worker is going down, the parent reports a crash
  if (dying) return;
  try {
    send({ type: 'result', seq, result, rss: process.memoryUsage.rss() });
  } catch (error) {
    // a value that structured clone refuses: the task fails with a SerializationError naming the path
    const explained: WireResult = explainUnsendableResult(wire, result, error);
    try {
      send({ type: 'result', seq, result: explained, rss: process.memoryUsage.rss() });
    } catch (again) {
      // not even the explanation crosses: the batch still gets an answer, never silence
      const answer: WireResult = { values: [], error: { pos: 0, error: serializeError(again) } };
      send({ type: 'result', seq, result: answer, rss: process.memoryUsage.rss() });
    }
  }
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'batch') {
    const { seq } = message;
    // whatever goes wrong answering, the parent gets an answer for this batch, never silence
    run(seq, message.wire).catch((error: unknown) => {
      if (!dying)
        send({
          type: 'result',
          seq,
          result: { values: [], error: { pos: 0, error: serializeError(error) } },
          rss: process.memoryUsage.rss(),
        });
    });
  } else if (message.type === 'release') buffers.release(message.call);
  else if (message.type === 'retire') process.exit(0);
});

// the parent exited or died (the kernel closes the channel even on SIGKILL): leave no orphan
process.on('disconnect', () => {
  buffers.removeFolders();
  // once the parent is really gone (re-parented: the kernel closes the channel first), also the
  // folders of its calls this worker never read; bounded, a parent alive after all keeps them
  const deadline = Date.now() + ORPHAN_CHECK_MS;
  const leave = () => {
    if (process.ppid !== parent) removeOwnerFolders(parent, tempFolderBases());
    else if (Date.now() < deadline) return void setTimeout(leave, 20);
    process.exit(0);
  };
  leave();
});

// an error thrown outside any task (a timer, an unhandled rejection) by the call now running: tell
// the parent, then die as Node would; one of another call is reported and ignored (stray-errors.ts)
function onStray(error: unknown): void {
  if (dying || !strays.ownedByRunningCall(error)) return;
  dying = true;
  try {
    writeSync(2, `${error instanceof Error && error.stack ? error.stack : String(error)}\n`);
  } catch {
    // stderr closed: the parent still gets the error over IPC
  }
  const exit = () => process.exit(1);
  try {
    send({ type: 'fatal', error: serializeError(error) }, exit);
  } catch {
    exit();
  }
  if (!process.connected) exit();
  setTimeout(exit, 1000).unref();
}
process.on('uncaughtException', onStray);
process.on('unhandledRejection', onStray);

send({ type: 'ready' });
