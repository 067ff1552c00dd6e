/**
 * TypeScript task modules wherever the caller's TypeScript support comes from: a user's vitest
 * project (vitest transforms the test's modules; workers must load the .ts module themselves), and
 * `NODE_OPTIONS="--import tsx"` (only the main thread reads NODE_OPTIONS' preloads on Node 20).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNode } from '../helpers/run-node.js';

const PROJECT = fileURLToPath(new URL('../fixtures/vitest-ts/', import.meta.url));
const VITEST = path.join(
  path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')),
  'vitest.mjs',
);

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const { code, stdout, stderr } = await runNode(args, { cwd: PROJECT, env, killAfterMs: 90_000 });
  return { code, out: stdout + stderr };
}

/** The environment of a user's shell: none of this test runner's own variables. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!/^(VITEST|VITE_|TEST$|NODE_OPTIONS$)/.test(key)) env[key] = value;
  return { ...env, ...extra };
}

describe('TypeScript task modules', () => {
  it("a user's vitest project runs a .ts task module on the default backend and on child processes", async () => {
    const { code, out } = await run([VITEST, 'run', '--root', PROJECT], userEnv());
    expect(out).toMatch(/2 passed/);
    expect(code).toBe(0);
  });

  it.each(['worker-threads', 'child-process', 'threads', 'sequential'])(
    'NODE_OPTIONS="--import tsx" runs a .ts task module on %s',
    async (backend) => {
      const { code, out } = await run(['main.ts', backend], userEnv({ NODE_OPTIONS: '--import tsx' }));
      expect(out.trim()).toBe('[5,10]');
      expect(code).toBe(0);
    },
  );
});
