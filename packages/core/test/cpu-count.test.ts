import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuCount, cpuCountInfo } from '../src/index.js';

function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'parajob-cpu-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const cpuinfo = (pairs: Array<[number, number]>) =>
  pairs
    .map(([phys, core], i) => `processor\t: ${i}\nphysical id\t: ${phys}\ncore id\t\t: ${core}\n`)
    .join('\n');

describe('cpuCount (joblib §1.15, loky tests)', () => {
  it('is a positive integer, and physical cores are within [1, cpuCount]', () => {
    const n = cpuCount();
    expect(Number.isInteger(n) && n >= 1).toBe(true);
    const physical = cpuCount({ onlyPhysicalCores: true });
    expect(physical).toBeGreaterThanOrEqual(1);
    expect(physical).toBeLessThanOrEqual(n);
    expect(cpuCount()).toBe(n);
  });

  it('honours the affinity mask', () => {
    const info = cpuCountInfo({ root: fakeRoot({}), osCount: 8, affinity: 1, env: {} });
    expect(info.usable).toBe(1);
    expect(info.usablePhysical).toBe(1);
    expect(info.limitedBy).toBe('affinity');
  });

  it.each([
    ['50000 100000', 1],
    ['150000 100000', 2],
    ['400000 100000', 4],
    ['max 100000', 8],
    ['', 8],
    ['garbage', 8],
    ['-1 100000', 8],
  ])('reads the cgroup v2 quota of the process cgroup: cpu.max %j → %i', (content, expected) => {
    const root = fakeRoot({
      'proc/self/cgroup': '0::/app.slice/job\n',
      'sys/fs/cgroup/app.slice/job/cpu.max': content,
    });
    expect(cpuCountInfo({ root, osCount: 8, affinity: 8, env: {} }).usable).toBe(expected);
  });

  it('applies a quota set on a parent cgroup', () => {
    const root = fakeRoot({
      'proc/self/cgroup': '0::/a/b\n',
      'sys/fs/cgroup/a/cpu.max': '200000 100000',
      'sys/fs/cgroup/a/b/cpu.max': 'max 100000',
    });
    const info = cpuCountInfo({ root, osCount: 8, affinity: 8, env: {} });
    expect(info.usable).toBe(2);
    expect(info.limitedBy).toBe('cgroup');
  });

  it('reads cgroup v1 cfs quota and period', () => {
    const root = fakeRoot({
      'proc/self/cgroup': '5:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n',
      'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '300000\n',
      'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
    });
    expect(cpuCountInfo({ root, osCount: 8, affinity: 8, env: {} }).usable).toBe(3);
    const unlimited = fakeRoot({
      'proc/self/cgroup': '5:cpu,cpuacct:/\n',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
    });
    expect(cpuCountInfo({ root: unlimited, osCount: 8, affinity: 8, env: {} }).usable).toBe(8);
  });

  it('never throws on an unreadable or odd cgroup tree', () => {
    const root = fakeRoot({ 'proc/self/cgroup': 'nonsense\n::\n0::\n' });
    expect(cpuCountInfo({ root, osCount: 4, affinity: 4, env: {} }).usable).toBe(4);
    expect(cpuCountInfo({ root: '/nonexistent-root', osCount: 4, affinity: 4, env: {} }).usable).toBe(4);
  });

  it('honours PARAJOB_MAX_CPU_COUNT, ignoring invalid values', () => {
    const root = fakeRoot({});
    expect(
      cpuCountInfo({ root, osCount: 8, affinity: 8, env: { PARAJOB_MAX_CPU_COUNT: '3' } }),
    ).toMatchObject({ usable: 3, limitedBy: 'env' });
    expect(cpuCountInfo({ root, osCount: 8, affinity: 8, env: { PARAJOB_MAX_CPU_COUNT: 'x' } }).usable).toBe(
      8,
    );
    expect(cpuCountInfo({ root, osCount: 8, affinity: 8, env: { PARAJOB_MAX_CPU_COUNT: '0' } }).usable).toBe(
      8,
    );
  });

  it('counts physical cores from /proc/cpuinfo and caps them by the limit', () => {
    const root = fakeRoot({
      'proc/cpuinfo': cpuinfo([
        [0, 0],
        [0, 0],
        [0, 1],
        [0, 1],
        [1, 0],
        [1, 0],
        [1, 1],
        [1, 1],
      ]),
    });
    expect(cpuCountInfo({ root, osCount: 8, affinity: 8, env: {} })).toMatchObject({
      physicalCores: 4,
      usablePhysical: 4,
    });
    expect(
      cpuCountInfo({ root, osCount: 8, affinity: 8, env: { PARAJOB_MAX_CPU_COUNT: '2' } }).usablePhysical,
    ).toBe(2);
    expect(cpuCountInfo({ root: fakeRoot({}), osCount: 8, affinity: 8, env: {} })).toMatchObject({
      physicalCores: null,
      usablePhysical: 8,
    });
  });
});

describe('localNJobs (joblib rule for local CPUs)', () => {
  it('maps -1 to every usable CPU, -2 to all but one, never below 1, and refuses 0', async () => {
    const { localNJobs } = await import('../src/backend-api.js');
    const n = cpuCount();
    expect(localNJobs(-1)).toBe(n);
    expect(localNJobs(-2)).toBe(Math.max(n - 1, 1));
    expect(localNJobs(-1000)).toBe(1);
    expect(localNJobs(5)).toBe(5);
    expect(() => localNJobs(0)).toThrow(/nJobs == 0 has no meaning/);
  });
});
