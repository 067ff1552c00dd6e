/** Every user-facing message of the parajob command, in one place so wording stays consistent. */

const ADAPTER_PACKAGE: Readonly<Record<string, string>> = { nats: '@parajob/nats', grpc: '@parajob/grpc' };

export const messages = {
  usage: {
    unknownCommand: (name: string) => `unknown command '${name}'`,
    noCommand: () => 'no command given',
    // the same hint as the worker commands' (@parajob/remote's flags): one style for every command
    hint: (program: string) => `run '${program} --help' for the options`,
    unknownOption: (option: string) => `unknown option '${option}'`,
    missingValue: (label: string) => `${label} needs a value`,
    noValue: (label: string) => `${label} takes no value`,
    dashValue: (label: string, name: string, value: string) =>
      `${label} needs a value, and '${value}' looks like an option; if it is the value, write --${name}=${value}`,
    jobs: (value: string) =>
      `-j/--jobs must be a non-zero integer (-1: all usable CPUs, -2: all but one, N: N workers), got '${value}'`,
    unexpected: (extra: string[]) => `unexpected argument${extra.length > 1 ? 's' : ''}: ${extra.join(' ')}`,
  },
  demo: {
    unknownBackend: (name: string, available: readonly string[]) =>
      `--backends: '${name}' is not a registered backend; choose among ${available.join(', ')}`,
    emptyBackends: () =>
      '--backends needs at least one backend name, e.g. --backends worker-threads,child-process',
    header: (limit: number, chunks: number) =>
      `Counting the primes below ${limit.toLocaleString('en-US')} in ${chunks} ranges, sequentially and on each backend.`,
    run: (label: string, detail: string) => `\n> ${label} (${detail})`,
    mismatch: (backend: string, got: number, expected: number) =>
      `backend '${backend}' counted ${got} primes but the sequential run counted ${expected}: its results are wrong`,
    failed: (backend: string, error: string) => `backend '${backend}' failed: ${error}`,
    noteSequential: 'nJobs 1: the baseline, in this process',
    noteThreads:
      "in-process (the caller's thread): concurrency, not CPU parallelism, so ~1x for CPU-bound work",
    noteWorkerThreads: 'worker_threads: one V8 isolate per worker',
    noteChildProcess: 'forked Node processes: the most isolated local backend',
    shortWorkload: (
      sequentialMs: number,
      slow: ReadonlyArray<{ backend: string; startupMs: number }>,
      quick: boolean,
    ) =>
      `Note: the workload is too short to show the speed-ups: it takes ${(sequentialMs / 1000).toFixed(2)} s sequentially, ` +
      `while starting the workers took about as long or longer (${slow.map((s) => `${s.backend} ~${(s.startupMs / 1000).toFixed(2)} s`).join(', ')}, ` +
      'estimated as the time to the first result). ' +
      (quick
        ? "Run 'parajob demo' without --quick for a workload that does."
        : 'Wall times include that start-up.'),
    footer: (cpus: number) =>
      `Speed-up = sequential wall time / backend wall time; wall times include starting the workers. This process may use ${cpus} CPU${cpus === 1 ? '' : 's'} ('parajob info' says why).`,
  },
  map: {
    needTarget: () => 'MODULE#EXPORT is missing, e.g. parajob map ./tasks.js#square',
    emptyModule: (target: string) => `'${target}': the module part before '#' is empty`,
    emptyExport: (target: string) => `'${target}': the export name after '#' is empty`,
    moduleNotFound: (module: string, cwd: string, detail: string) =>
      `cannot find module '${module}' (relative paths are resolved from ${cwd}): ${detail}`,
    typescript: (module: string, name: string) =>
      `'${module}' is TypeScript, which Node ${process.versions.node} does not load by itself: run the command with a loader, ` +
      `e.g. NODE_OPTIONS='--import tsx' parajob map ${module}#${name} (npm install --save-dev tsx), ` +
      'or compile the module to JavaScript first. Workers inherit the loader.',
    moduleFailed: (module: string, detail: string) => `module '${module}' failed to load: ${detail}`,
    exportMissing: (module: string, name: string, available: readonly string[]) =>
      `module '${module}' has no export '${name}'${available.length ? `; its exports: ${available.join(', ')}` : ' (it exports nothing)'}`,
    exportNotFunction: (module: string, name: string, type: string) =>
      `export '${name}' of module '${module}' is a ${type}, not a function`,
    badJson: (line: number, detail: string) =>
      `line ${line}: not valid JSON (${detail}); nothing after it was run`,
    taskFailed: (line: number, error: string) => `line ${line}: ${error}`,
    unserializable: (line: number, detail: string) =>
      `line ${line}: the result cannot be written as JSON (${detail}); return plain JSON values (strings, numbers, booleans, null, arrays, objects)`,
    inputUnreadable: (path: string, detail: string) => `cannot read --input '${path}': ${detail}`,
    outputUnwritable: (path: string, detail: string) => `cannot write the output (${path}): ${detail}`,
    reportUnwritable: (path: string, detail: string) =>
      `cannot write the run report (--report ${path}): ${detail}; the results were written`,
    failed: (error: string) => `map failed: ${error}`,
  },
  info: {
    limitedBy: {
      os: 'every CPU the OS reports',
      affinity: 'limited by the CPU affinity mask (taskset, cpuset)',
      cgroup: 'limited by the cgroup CPU quota',
      env: 'limited by PARAJOB_MAX_CPU_COUNT',
    } as Record<string, string>,
    reachable: (url: string, detail: string) => `${url}: reachable (${detail})`,
    unreachable: (url: string, detail: string) => `${url}: NOT reachable (${detail})`,
    badUrl: (url: string) => `--servers: '${url}' is not a server address; use nats://host:port or host:port`,
    notNats: (firstLine: string) =>
      `the server answered, but not with a NATS INFO line: '${firstLine.slice(0, 60)}'`,
    timedOut: (ms: number) => `no INFO line within ${ms} ms`,
    closed: () => 'the connection closed before the INFO line',
  },
  worker: {
    needKind: () => "the kind of worker is missing: 'nats' or 'grpc'",
    unknownKind: (kind: string) => `unknown worker kind '${kind}': use 'nats' or 'grpc'`,
    missing: (kind: string) => {
      const pkg = ADAPTER_PACKAGE[kind] ?? `@parajob/${kind}`;
      return `'parajob worker ${kind}' needs the package ${pkg}, which is not installed: npm install ${pkg} (next to @parajob/cli)`;
    },
  },
  internal: (error: string) =>
    `parajob: unexpected error (a bug in parajob: please report it at https://github.com/parajob/parajob/issues): ${error}`,
};
