/**
 * cpuCount: CPUs usable by this process — the minimum of the affinity mask, the cgroup CPU quota
 * of the process's own cgroup (v1 or v2), and PARAJOB_MAX_CPU_COUNT; never below 1.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { messages } from './messages.js';

export interface CpuCountInfo {
  /** CPUs the OS reports (os.cpus().length). */
  readonly os: number;
  /** CPUs in this process's affinity mask (os.availableParallelism()). */
  readonly affinity: number;
  /** ceil(quota / period) from the cgroup, or null when there is no quota. */
  readonly cgroupQuota: number | null;
  /** The file the quota came from. */
  readonly cgroupFile: string | null;
  /** PARAJOB_MAX_CPU_COUNT, or null. */
  readonly envLimit: number | null;
  /** Physical cores (from /proc/cpuinfo), or null when they could not be found. */
  readonly physicalCores: number | null;
  /** What cpuCount() returns. */
  readonly usable: number;
  /** What cpuCount({ onlyPhysicalCores: true }) returns. */
  readonly usablePhysical: number;
  /** Which limit decided `usable` (for `parajob info`). */
  readonly limitedBy: 'os' | 'affinity' | 'cgroup' | 'env';
}

export interface CpuProbe {
  /** Filesystem root to read /proc and /sys from (tests point it at a fake tree). */
  root?: string;
  env?: Record<string, string | undefined>;
  osCount?: number;
  affinity?: number;
}

const read = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/** Quota in CPUs from cpu.max ("max 100000" or "150000 100000"), or null. Odd content is ignored. */
function parseCpuMax(text: string | null): number | null {
  if (text === null) return null;
  const [quota, period] = text.trim().split(/\s+/);
  if (!quota || quota === 'max') return null;
  const q = Number(quota);
  const p = Number(period ?? 100000);
  return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? Math.max(1, Math.ceil(q / p)) : null;
}

function parseV1(quotaText: string | null, periodText: string | null): number | null {
  if (quotaText === null || periodText === null) return null;
  const q = Number(quotaText.trim());
  const p = Number(periodText.trim());
  return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? Math.max(1, Math.ceil(q / p)) : null;
}

/** Ancestors of a cgroup path, deepest first: /a/b → /a/b, /a, / */
function ancestors(path: string): string[] {
  const out: string[] = [];
  let p = path.replace(/\/+$/, '') || '/';
  for (;;) {
    out.push(p);
    if (p === '/') return out;
    p = p.slice(0, p.lastIndexOf('/')) || '/';
  }
}

function cgroupQuota(root: string): { cpus: number; file: string } | null {
  const own = read(join(root, 'proc/self/cgroup')) ?? '';
  let best: { cpus: number; file: string } | null = null;
  const consider = (cpus: number | null, file: string) => {
    if (cpus !== null && (best === null || cpus < best.cpus)) best = { cpus, file };
  };
  for (const line of own.split('\n')) {
    const [, controllers, path] = line.split(':');
    if (path === undefined) continue;
    if (controllers === '') {
      // cgroup v2: a limit anywhere on the path to the root applies
      for (const dir of ancestors(path)) {
        const file = join(root, 'sys/fs/cgroup', dir, 'cpu.max');
        consider(parseCpuMax(read(file)), file);
      }
    } else if (controllers?.split(',').includes('cpu')) {
      for (const mount of ['cpu,cpuacct', 'cpu', 'cpuacct,cpu']) {
        for (const dir of ancestors(path)) {
          const base = join(root, 'sys/fs/cgroup', mount, dir);
          consider(
            parseV1(read(join(base, 'cpu.cfs_quota_us')), read(join(base, 'cpu.cfs_period_us'))),
            join(base, 'cpu.cfs_quota_us'),
          );
        }
      }
    }
  }
  if (best === null) {
    // containers often mount only their own cgroup at the root
    const file = join(root, 'sys/fs/cgroup/cpu.max');
    consider(parseCpuMax(read(file)), file);
  }
  return best;
}

function physicalCores(root: string): number | null {
  const text = read(join(root, 'proc/cpuinfo'));
  if (text === null) return null;
  const cores = new Set<string>();
  for (const block of text.split(/\n\s*\n/)) {
    const phys = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (phys !== undefined && core !== undefined) cores.add(`${phys}:${core}`);
  }
  return cores.size > 0 ? cores.size : null;
}

export function cpuCountInfo(probe: CpuProbe = {}): CpuCountInfo {
  const root = probe.root ?? '/';
  const env = probe.env ?? process.env;
  const osCount = probe.osCount ?? Math.max(os.cpus().length, 1);
  const affinity = probe.affinity ?? os.availableParallelism();
  const quota = cgroupQuota(root);
  const rawEnv = env.PARAJOB_MAX_CPU_COUNT;
  const envNum = rawEnv === undefined || rawEnv === '' ? Number.NaN : Number(rawEnv);
  const envLimit = Number.isInteger(envNum) && envNum > 0 ? envNum : null;
  let usable = osCount;
  let limitedBy: CpuCountInfo['limitedBy'] = 'os';
  if (affinity < usable) [usable, limitedBy] = [affinity, 'affinity'];
  if (quota !== null && quota.cpus < usable) [usable, limitedBy] = [quota.cpus, 'cgroup'];
  if (envLimit !== null && envLimit < usable) [usable, limitedBy] = [envLimit, 'env'];
  usable = Math.max(1, usable);
  const physical = physicalCores(root);
  return {
    os: osCount,
    affinity,
    cgroupQuota: quota?.cpus ?? null,
    cgroupFile: quota?.file ?? null,
    envLimit,
    physicalCores: physical,
    usable,
    usablePhysical: Math.max(1, Math.min(physical ?? usable, usable)),
    limitedBy,
  };
}

let cached: CpuCountInfo | undefined;
let warnedPhysical = false;

/** CPUs usable by this process (affinity, cgroup quota, PARAJOB_MAX_CPU_COUNT); never below 1. */
export function cpuCount(options: { onlyPhysicalCores?: boolean } = {}): number {
  cached ??= cpuCountInfo();
  if (!options.onlyPhysicalCores) return cached.usable;
  if (cached.physicalCores === null && !warnedPhysical) {
    warnedPhysical = true;
    process.emitWarning(
      'Could not find the number of physical cores; using the number of logical CPUs',
      'ParajobWarning',
    );
  }
  return cached.usablePhysical;
}

/**
 * How many workers `nJobs` means on this machine (joblib's rule, for backends running on local
 * CPUs): -1 all usable CPUs, -2 all but one (`max(cpuCount() + 1 + nJobs, 1)`), N exactly N.
 */
export function localNJobs(nJobs: number): number {
  if (nJobs === 0) throw new RangeError(messages.option.nJobsZero());
  return nJobs < 0 ? Math.max(cpuCount() + 1 + nJobs, 1) : nJobs;
}
