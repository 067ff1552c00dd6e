/**
 * Starts real nats-server processes for tests: a free port on 127.0.0.1, JetStream with file
 * storage in a temp dir, start / stop / kill -9 / restart on the same port and store, and
 * readiness from the server's own "Server is ready" line.
 *
 * Missing binary: tests FAIL when process.env.CI is set, and are skipped with a visible message
 * otherwise (use `describe.runIf(natsServerAvailable())`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export function findNatsServer(): string | null {
  const candidates = [
    process.env.PARAJOB_NATS_SERVER,
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'nats-server')),
    '/usr/sbin/nats-server',
    '/usr/local/bin/nats-server',
  ];
  for (const c of candidates) {
    if (!c) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {}
  }
  return null;
}

let warned = false;

/** True when nats-server is installed; throws in CI when it is not; warns once otherwise. */
export function natsServerAvailable(): boolean {
  if (findNatsServer() !== null) return true;
  if (process.env.CI) {
    throw new Error(
      'nats-server is required in CI (apt-get install nats-server, or set PARAJOB_NATS_SERVER) and was not found',
    );
  }
  if (!warned) {
    warned = true;
    console.warn(
      '\n*** nats-server not found: NATS tests are SKIPPED. Install it (apt-get install nats-server) to run them. ***\n',
    );
  }
  return false;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface NatsServerOptions {
  /** Extra nats-server configuration text (e.g. `authorization { token: "x" }`, `max_payload: 2MB`). */
  readonly config?: string;
}

/** The server's output kept for output(): enough for a test's run, bounded for a chatty server. */
const MAX_OUTPUT = 1024 * 1024;

export class NatsServer {
  private child: ChildProcess | undefined;
  private log = '';
  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly configFile: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const binary = findNatsServer();
    if (binary === null) throw new Error('nats-server not found');
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'parajob-nats-'));
    const configFile = join(dir, 'server.conf');
    writeFileSync(
      configFile,
      `listen: "127.0.0.1:${port}"\njetstream { store_dir: "${join(dir, 'store')}" }\n${options.config ?? ''}\n`,
    );
    const server = new NatsServer(port, dir, configFile);
    await server.launch();
    return server;
  }

  /** What the server has printed so far (all its runs), e.g. to look for "Permissions Violation" lines. */
  output(): string {
    return this.log;
  }

  /** (Re)starts the server on the same port and store; resolves when it accepts clients. */
  launch(): Promise<void> {
    const child = spawn(findNatsServer()!, ['-c', this.configFile, '-js'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // keep reading both pipes for the server's whole life, or a chatty server blocks on a full pipe
    const keep = (chunk: Buffer) => {
      if (this.log.length < MAX_OUTPUT) this.log += chunk.toString();
    };
    child.stderr!.on('data', keep);
    child.stdout!.on('data', keep);
    return new Promise<void>((resolve, reject) => {
      let log = '';
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Server is ready')) {
          child.stderr!.off('data', onData);
          child.stdout!.off('data', onData);
          resolve();
        }
      };
      child.stderr!.on('data', onData);
      child.stdout!.on('data', onData);
      child.once('exit', (code) =>
        reject(new Error(`nats-server exited (${code}) before it was ready:\n${log}`)),
      );
    });
  }

  /** kill -9: no shutdown, like a crash. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** Stops the server and deletes its store. */
  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.storeDir, { recursive: true, force: true });
  }

  private signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(sig);
    });
  }
}
