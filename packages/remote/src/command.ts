/**
 * The skeleton of every worker command (`parajob worker nats|grpc`): parse the shared and the
 * adapter's own flags, print help, start the worker, serve until SIGINT/SIGTERM, then drain.
 * Exit codes: 0 after a clean stop, 1 when startup fails (the message names the flag when a flag
 * is at fault; the adapter has closed its connection), 2 for bad usage (one line plus a hint).
 */
import { FlagError, type FlagSpec, type FlagValues, helpText, parseFlags, stringFlag } from './flags.js';
import { untilSignal } from './lifecycle.js';
import { messages } from './messages.js';
import { type MetricsServer, startMetrics } from './metrics.js';

export interface WorkerCommand {
  /** `worker nats`: used in messages and the help. */
  readonly command: string;
  readonly usage: string;
  readonly summary: string;
  readonly flags: readonly FlagSpec[];
  readonly footer?: string;
  /** Starts the worker from the parsed flags; throws a FlagError for a bad flag value. */
  start(values: FlagValues, log: (line: string) => void): Promise<{ ready: string; stop(): Promise<void> }>;
}

export interface CommandIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

export async function runWorkerCommand(
  spec: WorkerCommand,
  args: readonly string[],
  io: CommandIo = process,
): Promise<number> {
  const prefix = `parajob ${spec.command}`;
  const usageError = (message: string) => {
    io.stderr.write(`${prefix}: ${message}\n${messages.flags.hint(spec.command)}\n`);
    return 2;
  };
  let values: FlagValues;
  try {
    values = parseFlags(args, spec.flags);
  } catch (error) {
    if (error instanceof FlagError) return usageError(error.message);
    throw error;
  }
  if (values.help) {
    io.stdout.write(helpText(spec.usage, spec.summary, spec.flags, spec.footer));
    return 0;
  }
  const log = (line: string) => io.stderr.write(`${prefix}: ${line}\n`);
  let worker: Awaited<ReturnType<WorkerCommand['start']>>;
  let metrics: MetricsServer | undefined;
  try {
    const address = stringFlag(values, 'metrics');
    if (address !== undefined) metrics = await startMetrics(address, spec.command.split(' ').at(-1)!);
    worker = await spec.start(values, log);
  } catch (error) {
    await metrics?.stop();
    if (error instanceof FlagError || error instanceof RangeError) return usageError(error.message);
    log((error as Error).message);
    return 1;
  }
  if (metrics) log(`metrics on ${metrics.url}/metrics`);
  if (values['allow-source'] === true) log(messages.flags.allowSourceWarning());
  // listening before the ready line: a supervisor may signal the moment it reads it
  const signalled = untilSignal();
  io.stdout.write(`${worker.ready}\n`);
  const signal = await signalled;
  log(`${signal}: finishing running batches, then stopping`);
  try {
    await worker.stop();
  } catch (error) {
    log((error as Error).message);
    return 1;
  } finally {
    await metrics?.stop();
  }
  return 0;
}
