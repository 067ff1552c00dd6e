/** `parajob info`: what parajob sees on this machine — versions, usable CPUs and why, backends, NATS. */
import { type CpuCountInfo, cpuCountInfo, listBackends } from '@parajob/core';
import { defaultBackendName } from '@parajob/core/internal';
import { parse, parseList } from '../args.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { messages } from '../messages.js';
import { parseServerUrl, probeNats, type ServerAddress, summarizeInfo } from '../nats-probe.js';
import { INFO_USAGE } from '../usage.js';
import { cliVersion, packageVersion } from '../version.js';

export const OPTIONS = {
  servers: { type: 'string', short: 's', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The CPU section: the usable count, the limit that decided it, and every input to it. */
export function describeCpus(c: CpuCountInfo): string[] {
  const why = messages.info.limitedBy[c.limitedBy] ?? c.limitedBy;
  return [
    `CPUs: ${c.usable} usable (${why}); ${c.usablePhysical} physical core${c.usablePhysical === 1 ? '' : 's'} usable`,
    `  reported by the OS:       ${c.os}`,
    `  affinity mask:            ${c.affinity}`,
    `  cgroup CPU quota:         ${c.cgroupQuota === null ? 'none' : `${c.cgroupQuota} (${c.cgroupFile})`}`,
    `  PARAJOB_MAX_CPU_COUNT:    ${c.envLimit === null ? 'not set' : c.envLimit}`,
    `  physical cores:           ${c.physicalCores === null ? 'unknown (no core ids in /proc/cpuinfo)' : c.physicalCores}`,
    '  nJobs -1 uses every usable CPU; nJobs -2 all but one.',
  ];
}

export function describeBackends(names: readonly string[], defaultName: string): string {
  return `Backends: ${names.map((n) => (n === defaultName ? `${n} (default)` : n)).join(', ')}`;
}

export async function info(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse<{ servers?: string[]; help?: boolean }>(args, OPTIONS, 'info');
  if (values.help) {
    io.stdout.write(INFO_USAGE);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(messages.usage.unexpected(positionals), 'info');
  const servers: ServerAddress[] = [];
  for (const text of (values.servers ?? []).flatMap(parseList)) {
    const address = parseServerUrl(text);
    if (address === null) throw new UsageError(messages.info.badUrl(text), 'info');
    servers.push(address);
  }

  const versions = ['parajob', '@parajob/core']
    .map((name) => [name, packageVersion(name)] as const)
    .filter(([, v]) => v !== null)
    .map(([name, v]) => `${name} ${v}`);
  const lines = [
    `parajob ${cliVersion()} (@parajob/cli${versions.length ? `; ${versions.join(', ')}` : ''})`,
    `Node.js ${process.version} on ${process.platform} ${process.arch}`,
    ...describeCpus(cpuCountInfo({ env: io.env })),
    describeBackends(listBackends(), defaultBackendName()),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);

  if (servers.length === 0) return EXIT_OK;
  io.stdout.write('NATS servers:\n');
  const results = await Promise.all(servers.map((s) => probeNats(s)));
  let exitCode = EXIT_OK;
  results.forEach((result, i) => {
    const url = servers[i]!.display;
    if (result.ok) io.stdout.write(`  ${messages.info.reachable(url, summarizeInfo(result.info))}\n`);
    else {
      io.stdout.write(`  ${messages.info.unreachable(url, result.reason)}\n`);
      exitCode = EXIT_FAILED;
    }
  });
  return exitCode;
}
