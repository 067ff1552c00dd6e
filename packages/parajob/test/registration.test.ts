import { describe, expect, it } from 'vitest';
import { delayed, getActiveBackend, listBackends, Parallel } from '../src/index.js';

describe('parajob', () => {
  it('registers the local backends, worker-threads as the default', () => {
    expect(listBackends()).toEqual(['child-process', 'sequential', 'threads', 'worker-threads']);
    expect(getActiveBackend().backend.name).toBe('worker-threads');
  });

  it('runs a loop on the default backend', async () => {
    const p = new Parallel({ nJobs: 2 });
    expect(await p.run([1, 2, 3].map((x) => delayed((v: number) => v * v)(x)))).toEqual([1, 4, 9]);
    await p.close();
  });

  it('selects threads for require sharedmem and prefer threads', () => {
    expect(new Parallel({ nJobs: 2, require: 'sharedmem' }).backend.name).toBe('threads');
    expect(new Parallel({ nJobs: 2, prefer: 'threads' }).backend.name).toBe('threads');
  });
});

describe('importing parajob', () => {
  it('starts no thread or process and exits at once', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = `await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
      console.log(JSON.stringify(process.getActiveResourcesInfo()));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const resources = JSON.parse(run.stdout) as string[];
    // PipeWrap is this script's own stdout; a worker or a forked child would show up as Worker / ProcessWrap
    expect(resources.filter((r) => /Worker|ProcessWrap/.test(r))).toEqual([]);
  });

  it('loads neither node:child_process nor node:crypto (every worker importing a task module pays for them)', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = `await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
      console.log(JSON.stringify(process.moduleLoadList));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const loaded = JSON.parse(run.stdout) as string[];
    expect(loaded).toContain('NativeModule worker_threads');
    expect(loaded.filter((m) => /^NativeModule (child_process|crypto|net)$/.test(m))).toEqual([]);
  });
});
