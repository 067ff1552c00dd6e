/**
 * What the results were measured on: CPU, cores, memory, Node, library versions, load,
 * and which optional peers (Python with joblib, numpy, nats-server) are available.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const repoDir = dirname(benchDir);

/** Version of an installed package as Node resolves it from bench/ (nearest node_modules first). */
export function packageVersion(name) {
  for (const base of [join(benchDir, 'node_modules'), join(repoDir, 'node_modules')]) {
    const file = join(base, name, 'package.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')).version;
  }
  return undefined;
}

function cpuModel() {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
}

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 20_000,
    }).trim();
  } catch {
    return undefined;
  }
}

/**
 * A Python that can `import joblib`. /usr/bin/python3 first (Debian's python3-joblib installs
 * there, while a pyenv `python3` earlier on PATH usually lacks it); PARAJOB_BENCH_PYTHON wins.
 */
export function findJoblibPython() {
  const candidates = [
    process.env.PARAJOB_BENCH_PYTHON,
    '/usr/bin/python3',
    'python3',
    '/usr/local/bin/python3',
    'python',
  ];
  const tried = [];
  for (const python of candidates) {
    if (!python || tried.includes(python)) continue;
    tried.push(python);
    const out = run(python, [
      '-c',
      'import sys, joblib\ntry:\n import numpy; n = numpy.__version__\nexcept ImportError:\n n = ""\nprint(joblib.__version__, n, sys.version.split()[0])',
    ]);
    if (out) {
      const [joblib, numpy, version] = out.split(' ');
      return { python, joblib, numpy: numpy || undefined, version, tried };
    }
  }
  return { python: undefined, tried };
}

export function findNatsServer() {
  for (const bin of [
    process.env.PARAJOB_BENCH_NATS_SERVER,
    '/usr/sbin/nats-server',
    '/usr/bin/nats-server',
    'nats-server',
  ]) {
    if (!bin) continue;
    const out = run(bin, ['--version']);
    if (out) return { bin, version: out.replace(/^nats-server:\s*/, '') };
  }
  return undefined;
}

export function describeMachine() {
  return {
    cpu: cpuModel(),
    logicalCpus: os.cpus().length,
    availableParallelism: os.availableParallelism(),
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    date: new Date().toISOString(),
    loadBefore: os.loadavg(),
    versions: Object.fromEntries(
      [
        'parajob',
        '@parajob/core',
        '@parajob/nats',
        'piscina',
        'poolifier',
        'tinypool',
        'workerpool',
        'p-map',
        'bullmq',
      ].map((n) => [n, packageVersion(n)]),
    ),
  };
}
