import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/terminate-during-load.mjs', import.meta.url));

describe('threads stopped while they load the worker module', () => {
  // piscina require()s its handler; on Node 20 require() of an ES module aborted the whole
  // process (SIGABRT) when the thread was terminated mid-load. The pool's entry is CommonJS now.
  it('never take the calling process down', () => {
    const child = spawnSync(process.execPath, [fixture, '400', '20000'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.stderr).not.toMatch(/FATAL ERROR/);
    expect({ status: child.status, signal: child.signal }).toEqual({ status: 0, signal: null });
    expect(child.stdout).toMatch(/^\d+ rounds/);
  }, 100_000);
});
