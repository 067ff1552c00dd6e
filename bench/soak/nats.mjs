/**
 * The NATS part of the soak: a real nats-server and real `parajob worker nats` processes on
 * loopback; calls of random tasks while workers are SIGKILLed (and replaced, as a supervisor
 * would) and the server is killed and restarted. After each call nothing may stay queued and no
 * blob may stay in the object store.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { connect } from '@nats-io/transport-node';
import { NatsBackend } from '@parajob/nats';
import { NatsServer } from '@parajob/nats/testing';
import { delayed, Parallel } from 'parajob';
import { settled } from './leaks.mjs';
import { consume, HANG_MS } from './local.mjs';
import { LARGE } from './scenario.mjs';
import * as tasks from './tasks.mjs';

const CLI = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));
const ACK_WAIT_MS = 1_500;
const WORKERS = 2;
const large = new Float64Array(LARGE).fill(1);

export class NatsRig {
  namespace = 'soak';
  workers = new Set();
  /** Pids of everything the rig started (not the soak's leaks). */
  pids = new Set();
  faults = { workerKills: 0, serverRestarts: 0 };
  /** The last lines each worker wrote to stderr (shown with a hang). */
  logs = new Map();
  log = () => {};

  static async start() {
    const rig = new NatsRig();
    rig.server = await NatsServer.start();
    rig.pids.add(rig.server.pid);
    await Promise.all(Array.from({ length: WORKERS }, () => rig.startWorker()));
    return rig;
  }

  /**
   * A worker process, ready; like a supervisor, starts it again (bounded) when it exits first
   * (e.g. the server is restarting and refuses connections).
   */
  async startWorker(attempts = 20) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.spawnWorker();
      } catch (error) {
        if (attempt >= attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** One worker process; resolves once it is ready, rejects if it exits before. */
  spawnWorker() {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'worker',
        'nats',
        '--servers',
        this.server.url,
        '--namespace',
        this.namespace,
        '--concurrency',
        '1',
        '--allow',
        '@parajob/bench',
        '--ack-wait',
        String(ACK_WAIT_MS),
      ],
      { cwd: HERE, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.workers.add(child);
    this.pids.add(child.pid);
    child.once('exit', () => this.workers.delete(child));
    let err = '';
    child.stderr.on('data', (d) =>
      this.logs.set(child.pid, `${this.logs.get(child.pid) ?? ''}${d}`.slice(-2000)),
    );
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`NATS worker not ready in 30 s:\n${err}`));
      }, 30_000);
      // the "ready (ID, N slot(s))" line comes on stdout once the worker has registered
      child.stdout.on('data', (d) => {
        err += d;
        if (err.includes('ready (')) {
          clearTimeout(timer);
          resolve(child);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`NATS worker exited (${code ?? signal}) before it was ready:\n${err}`));
      });
    });
  }

  /** SIGKILLs a random worker and starts its replacement (a supervisor's job). */
  async killWorker(rng) {
    const victim = rng.pick([...this.workers]);
    if (victim === undefined) return;
    victim.kill('SIGKILL');
    this.faults.workerKills++;
    this.log(`nats: worker ${victim.pid} SIGKILLed`);
    await this.startWorker();
  }

  async restartServer() {
    await this.server.kill();
    this.log('nats: server killed');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await this.server.launch();
    this.log('nats: server restarted');
    this.pids.add(this.server.pid);
    this.faults.serverRestarts++;
  }

  /** Runs one scenario with the faults `rng` draws; `{ outcome }` or `{ hang: true }`. */
  async run(s, rng) {
    const backend = new NatsBackend({
      servers: this.server.url,
      namespace: this.namespace,
      ackWaitMs: ACK_WAIT_MS,
    });
    const parallel = new Parallel({ backend, nJobs: WORKERS, batchSize: s.batchSize, maxNbytes: '1M' });
    const list = s.kinds.map((kind, i) =>
      kind === 'ok'
        ? delayed(tasks.ok)(i, s.sleeps[i] * 3, s.large ? large : null)
        : delayed(tasks.FAILING[kind])(i),
    );
    const faults = [];
    if (rng.chance(0.15)) faults.push(delay(rng.int(400)).then(() => this.killWorker(rng)));
    if (rng.chance(0.03)) faults.push(delay(rng.int(400)).then(() => this.restartServer()));
    let guard;
    const hang = new Promise((resolve) => {
      guard = setTimeout(() => resolve({ hang: true }), HANG_MS);
    });
    try {
      const result = await Promise.race([consume(s, parallel, list).then((outcome) => ({ outcome })), hang]);
      await Promise.all(faults);
      if (result.hang) for (const [pid, text] of this.logs) this.log(`nats: worker ${pid} stderr:\n${text}`);
      if (!result.hang) await Promise.race([parallel.close(), hang]);
      return result;
    } finally {
      clearTimeout(guard);
    }
  }

  /** What a finished call left on the server: queued batches and blobs. */
  async leftovers() {
    const nc = await connect({ servers: this.server.url });
    try {
      const jsm = await jetstreamManager(nc);
      // queued = what a worker could still be given or holds; the stream itself may keep a few
      // messages acked just before a kill -9 of nats-server (2.9.x orphans, nats-server#5227)
      const stream = `PARAJOB_${this.namespace.toUpperCase()}_TASKS`;
      let queued = 0;
      const states = [];
      for await (const c of jsm.consumers.list(stream)) {
        queued += c.num_pending + c.num_ack_pending;
        if (c.num_pending + c.num_ack_pending > 0)
          states.push(
            `${c.name}: pending ${c.num_pending}, ack pending ${c.num_ack_pending}, redelivered ${c.num_redelivered}, waiting pulls ${c.num_waiting}, ack floor ${c.ack_floor.stream_seq}, delivered ${c.delivered.stream_seq}`,
          );
      }
      if (queued > 0) states.push(...(await queuedMessages(jsm, stream)));
      let blobs = [];
      try {
        const store = await new Objm(nc).open(`parajob_${this.namespace}_blobs`);
        blobs = (await store.list()).map((o) => o.name);
      } catch {
        // no blob store yet: no blob
      }
      return [
        ...(queued > 0 ? [`${queued} queued batches (${states.join('; ')})`] : []),
        ...blobs.map((b) => `blob ${b}`),
      ];
    } finally {
      await nc.close();
    }
  }

  async checkLeaks() {
    return settled(() => this.leftovers(), 10_000);
  }

  async dispose() {
    for (const w of this.workers) w.kill('SIGTERM');
    await settled(() => [...this.workers], 10_000);
    for (const w of this.workers) w.kill('SIGKILL');
    await this.server.dispose();
  }
}

/** The messages still in the work-queue stream: sequence, subject (its call), age. */
async function queuedMessages(jsm, stream) {
  const info = await jsm.streams.info(stream);
  const lines = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && lines.length < 5; seq++) {
    try {
      const m = await jsm.streams.getMessage(stream, { seq });
      lines.push(`seq ${seq} ${m.subject} ${Math.round((Date.now() - m.time.getTime()) / 1000)} s old`);
    } catch {
      // deleted: a gap in the sequence
    }
  }
  return lines;
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
