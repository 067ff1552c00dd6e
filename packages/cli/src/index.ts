/**
 * @parajob/cli as a library: the command functions behind the `parajob` executable, for tests
 * and for tools that embed them. Each takes the command's arguments and an Io, and resolves to
 * the exit code (0 success, 1 a task failed, 2 bad usage).
 */

export {
  explainParseError,
  glueNegativeValues,
  type Options,
  optionLabel,
  type Parsed,
  parse,
  parseJobs,
  parseList,
} from './args.js';
export { DEMO_BACKENDS, type DemoArgs, demo, demoTable, parseDemoArgs, WORKLOADS } from './commands/demo.js';
export { describeBackends, describeCpus, info } from './commands/info.js';
export { type MapArgs, map, parseMapArgs } from './commands/map.js';
export {
  isMissingWorker,
  loadWorkerModule,
  WORKER_KINDS,
  type WorkerKind,
  worker,
} from './commands/worker.js';
export { shortWorkloadNote, slowStarts, type TimedRun } from './demo-note.js';
export { countPrimesInRange, primeRanges } from './demo-tasks.js';
export { describeError } from './describe-error.js';
export { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, usageErrorText } from './errors.js';
export { isInternalFrame } from './internal-frames.js';
export { type Io, processIo } from './io.js';
export { type JsonlCall, JsonlError, parseJsonlLine, readJsonl, readLines } from './jsonl.js';
export { COMMANDS, main, registerLocalBackends } from './main.js';
export { type ProbeResult, parseServerUrl, probeNats, type ServerAddress } from './nats-probe.js';
export { loadTarget, resolveModuleUrl, splitTarget, type Target } from './target.js';
export { USAGES } from './usage.js';
