/**
 * The usage texts, printed by --help on stdout. Every option of a command is described in its
 * text (test/usage.test.ts checks it against the command's parseArgs options). Bad usage prints
 * one line and a hint to --help instead (errors.ts), so the message does not scroll away.
 */

export const MAIN_USAGE = `Usage: parajob <command> [options]

joblib's Parallel for Node.js, from the command line.

Commands:
  demo       run a CPU-heavy workload sequentially and on each local backend; print the speed-ups
  map        run an exported function over JSON Lines input, in parallel, results in input order
  info       version, usable CPUs (and what limits them), registered backends, NATS reachability
  worker     run a long-lived remote worker: parajob worker nats|grpc ...
  dashboard  a live dashboard of a NATS namespace: parajob dashboard --servers URL
  help       'parajob help <command>' prints the usage of a command

Options:
  -h, --help       show this help (or 'parajob <command> --help')
  -v, --version    print the version

A TypeScript module (map ./tasks.ts#f) needs a loader: NODE_OPTIONS='--import tsx' parajob ...
PARAJOB_DEBUG=1 adds parajob's own stack frames to the report of an unexpected error.

Exit codes: 0 success, 1 a task (or a check) failed, 2 bad usage.
`;

export const DEMO_USAGE = `Usage: parajob demo [-q] [--backends a,b] [-j N]

Counts the primes below a limit, cut into ranges, once sequentially (nJobs 1) and once on
each local backend, with a progress bar per run, then prints a table of wall time and
speed-up against the sequential run.

Options:
  -q, --quick         a small workload that finishes in a few seconds (too short for
                      the speed-ups to show: starting the workers takes about as long)
  --backends a,b      the backends to compare (default: worker-threads,child-process,threads)
  -j, --jobs N        workers per backend (default -1: all usable CPUs; -2: all but one)
  -h, --help          show this help
`;

export const MAP_USAGE = `Usage: parajob map MODULE#EXPORT [--input FILE|-] [--output FILE|-] [-j N]
                    [--backend NAME] [--progress] [--report FILE]

Calls EXPORT of MODULE once per line of JSON Lines input, in parallel, and writes one
JSON line per result, in input order, as results arrive. A line holding a JSON array is
the argument list (["a", 2] calls fn("a", 2)); any other JSON value is the single
argument. Blank lines are skipped.

  MODULE              a path (relative to the current directory) or a package specifier;
                      EXPORT defaults to 'default' when '#EXPORT' is left out

Options:
  -i, --input FILE    read the input from FILE ('-' or absent: stdin)
  -o, --output FILE   write the results to FILE ('-' or absent: stdout)
  -j, --jobs N        workers (default -1: all usable CPUs; 1: run in this process)
  -b, --backend NAME  a registered backend (default: worker-threads; see 'parajob info')
  -p, --progress      a progress bar on stderr
  --report FILE       write a run report: one HTML file with the task stream, durations, errors
  -h, --help          show this help

The first failing line stops the run (the lines still running are cancelled): it is
reported on stderr with its line number, and the output holds the results, in order, of
the lines before it that had finished. A line that is not valid JSON ends the input: the
lines before it run and are written, then it is reported. Both exit with code 1.
`;

export const INFO_USAGE = `Usage: parajob info [--servers URL[,URL...]]

Prints the version, the CPUs this process may use (logical and physical, and which limit
decided: affinity mask, cgroup CPU quota or PARAJOB_MAX_CPU_COUNT), and the registered
backends.

Options:
  -s, --servers URL   also check that a NATS server answers at URL (nats://host:port);
                      several URLs may be separated by commas. Exit code 1 when one does not.
  -h, --help          show this help
`;

export const WORKER_USAGE = `Usage: parajob worker nats --servers URL [options]
       parajob worker grpc --listen HOST:PORT [options]

Runs a long-lived worker that executes tasks sent by a remote Parallel (backend 'nats' or
'grpc'). SIGINT/SIGTERM finish or hand back the batches in flight, then exit.

  nats   needs the package @parajob/nats
  grpc   needs the package @parajob/grpc

'parajob worker nats --help' and 'parajob worker grpc --help' list each worker's options.
`;

export const USAGES = {
  main: MAIN_USAGE,
  demo: DEMO_USAGE,
  map: MAP_USAGE,
  info: INFO_USAGE,
  worker: WORKER_USAGE,
} as const;

export type UsageName = keyof typeof USAGES;
