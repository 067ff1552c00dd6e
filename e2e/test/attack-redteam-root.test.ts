/**
 * The --root default is the nearest package.json at or above where the worker starts. Started
 * where there is none (`/` under many supervisors, a bare temp dir), a worker used to take the
 * working directory as its project: with '.' allowed (the default) every file below it became a
 * task module, task modules of other projects on the disk included. It must refuse to start,
 * naming --root; a worker that allows only packages by name still starts there.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { nearestPackageDir } from '@parajob/remote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const CORE = pathToFileURL(fileURLToPath(new URL('../../packages/core/dist/index.js', import.meta.url))).href;

/** Runs a worker until it exits, or until it prints its ready line (then stops it): what it printed and how it ended. */
function worker(
  args: string[],
  cwd: string,
): Promise<{ code: number | null; ready: boolean; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'worker', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let ready = false;
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    if (/listening on|ready \(/.test(String(d)) && !ready) {
      ready = true;
      child.kill('SIGTERM');
    }
  });
  // a hang guard only
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(guard);
      resolve({ code, ready, stderr });
    }),
  );
}

const base = mkdtempSync(join(tmpdir(), 'parajob-noproject-'));
const bare = join(base, 'bare');
// a task module of some other project on the same disk, below the bare directory
mkdirSync(join(bare, 'elsewhere'), { recursive: true });
writeFileSync(
  join(bare, 'elsewhere', 'other.mjs'),
  `import { task } from ${JSON.stringify(CORE)};\nexport const other = task(import.meta.url, function other() { return 'ran'; });\n`,
);
const noProjectAbove = nearestPackageDir(bare) === undefined;

describe.skipIf(!noProjectAbove || !natsServerAvailable())('a worker started outside any project', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start();
  });
  afterAll(async () => {
    await server?.dispose();
    rmSync(base, { recursive: true, force: true });
  });

  const args = (kind: string) =>
    kind === 'nats'
      ? ['nats', '--servers', server.url, '--namespace', 'redteam-root']
      : ['grpc', '--listen', '127.0.0.1:0'];

  it.each(['grpc', 'nats'])(
    'worker %s with the default --allow refuses to start, naming --root',
    async (kind) => {
      const r = await worker(args(kind), bare);
      expect(r.ready).toBe(false);
      expect(r.stderr).toContain('--root: no package.json at or above');
      expect(r.code).toBe(2);
    },
  );

  it.each(['grpc', 'nats'])('worker %s warns at startup that --allow-source runs any code', async (kind) => {
    const r = await worker([...args(kind), '--allow', '@parajob/core', '--allow-source'], bare);
    expect(r.ready).toBe(true);
    expect(r.stderr).toContain(
      '--allow-source is on: anyone who can submit a batch to this worker runs any code',
    );
  });

  it.each(['grpc', 'nats'])('worker %s allowing only packages by name still starts there', async (kind) => {
    const r = await worker([...args(kind), '--allow', '@parajob/core'], bare);
    expect(r.ready).toBe(true);
    expect(r.code).toBe(0);
  });
});
