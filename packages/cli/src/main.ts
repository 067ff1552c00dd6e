/** The command dispatcher: picks the command, runs it, and turns every outcome into an exit code. */
import { dashboard } from './commands/dashboard.js';
import { demo } from './commands/demo.js';
import { info } from './commands/info.js';
import { map } from './commands/map.js';
import { worker } from './commands/worker.js';
import { describeError } from './describe-error.js';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, usageErrorText } from './errors.js';
import { type Io, processIo } from './io.js';
import { messages } from './messages.js';
import { USAGES, type UsageName } from './usage.js';
import { cliVersion } from './version.js';

type Command = (args: readonly string[], io: Io) => Promise<number>;

export const COMMANDS: Readonly<Record<string, Command>> = { dashboard, demo, map, info, worker };

/** Commands that run tasks locally need the backends `parajob` registers (worker-threads, child-process, threads). */
const NEEDS_LOCAL_BACKENDS = new Set(['demo', 'map', 'info']);

let registered: Promise<unknown> | undefined;
/** Importing `parajob` registers the local backends; it starts no thread or process by itself. */
export function registerLocalBackends(): Promise<unknown> {
  registered ??= import('parajob');
  return registered;
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === '-h' || command === '--help') {
      io.stdout.write(USAGES.main);
      return EXIT_OK;
    }
    if (command === 'help') {
      const topic = rest[0];
      if (topic !== undefined && !(topic in USAGES && topic !== 'main'))
        throw new UsageError(messages.usage.unknownCommand(topic), '');
      io.stdout.write(USAGES[(topic ?? 'main') as UsageName]);
      return EXIT_OK;
    }
    if (command === '-v' || command === '--version') {
      io.stdout.write(`${cliVersion()}\n`);
      return EXIT_OK;
    }
    if (command === undefined) throw new UsageError(messages.usage.noCommand(), '');
    const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (run === undefined) throw new UsageError(messages.usage.unknownCommand(command), '');
    if (NEEDS_LOCAL_BACKENDS.has(command)) await registerLocalBackends();
    return await run(rest, io);
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: Io): number {
  if (error instanceof UsageError) {
    io.stderr.write(usageErrorText(error.message, error.command));
    return EXIT_USAGE;
  }
  if (error instanceof CliError) {
    io.stderr.write(`parajob: ${error.message}\n`);
    return error.exitCode;
  }
  // a bug of parajob's: its own frames are left out like everywhere else; PARAJOB_DEBUG=1 shows them
  const full = io.env.PARAJOB_DEBUG === '1' && error instanceof Error && error.stack;
  io.stderr.write(`${messages.internal(full || describeError(error))}\n`);
  return EXIT_FAILED;
}
