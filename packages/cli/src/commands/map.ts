/**
 * `parajob map MODULE#EXPORT`: an exported function over JSON Lines input, in parallel. Input is
 * read lazily (the scheduler pulls lines as workers free up) and results are written in input
 * order as soon as they and every line before them are done, so inputs larger than memory work.
 */
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BackendUnavailableError, Delayed, Parallel } from '@parajob/core';
import { parse, parseJobs } from '../args.js';
import { describeError } from '../describe-error.js';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from '../errors.js';
import { type Io, writeWithBackpressure } from '../io.js';
import { JsonlError, readJsonl, readLines } from '../jsonl.js';
import { messages } from '../messages.js';
import { loadTarget, splitTarget } from '../target.js';
import { MAP_USAGE } from '../usage.js';

interface MapValues {
  input?: string;
  output?: string;
  jobs?: string;
  backend?: string;
  progress?: boolean;
  report?: string;
  help?: boolean;
}

export const OPTIONS = {
  input: { type: 'string', short: 'i' },
  output: { type: 'string', short: 'o' },
  jobs: { type: 'string', short: 'j' },
  backend: { type: 'string', short: 'b' },
  progress: { type: 'boolean', short: 'p' },
  report: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface MapArgs {
  readonly target: string;
  readonly input: string | null;
  readonly output: string | null;
  readonly nJobs: number;
  readonly backend: string | null;
  readonly progress: boolean;
  /** Where to write a run report (docs/observability.md), or null. */
  readonly report: string | null;
}

/** The command line of `map`, or null for --help. */
export function parseMapArgs(args: readonly string[]): MapArgs | null {
  const { values, positionals } = parse<MapValues>(args, OPTIONS, 'map', ['-j', '--jobs']);
  if (values.help) return null;
  if (positionals.length === 0) throw new UsageError(messages.map.needTarget(), 'map');
  if (positionals.length > 1) throw new UsageError(messages.usage.unexpected(positionals.slice(1)), 'map');
  const stdio = (v: string | undefined) => (v === undefined || v === '-' ? null : v);
  return {
    target: positionals[0]!,
    input: stdio(values.input),
    output: stdio(values.output),
    nJobs: parseJobs(values.jobs, -1, 'map'),
    backend: values.backend ?? null,
    progress: values.progress ?? false,
    report: values.report ?? null,
  };
}

async function openInput(path: string | null, io: Io): Promise<NodeJS.ReadableStream> {
  if (path === null) return io.stdin;
  try {
    return (await open(resolve(io.cwd, path), 'r')).createReadStream();
  } catch (error) {
    throw new CliError(messages.map.inputUnreadable(path, (error as Error).message), EXIT_USAGE);
  }
}

async function openOutput(
  path: string | null,
  io: Io,
): Promise<{ out: NodeJS.WritableStream; close: () => Promise<void> }> {
  if (path === null) return { out: io.stdout, close: async () => {} };
  try {
    const stream = (await open(resolve(io.cwd, path), 'w')).createWriteStream();
    const close = () =>
      new Promise<void>((done, fail) => stream.end((error?: Error | null) => (error ? fail(error) : done())));
    return { out: stream, close };
  } catch (error) {
    throw new CliError(messages.map.outputUnwritable(path, (error as Error).message), EXIT_USAGE);
  }
}

function createParallel(a: MapArgs): Parallel {
  try {
    return new Parallel({ nJobs: a.nJobs, backend: a.backend, progress: a.progress });
  } catch (error) {
    // an unknown backend or an option the backend refuses is a usage problem: nothing ran
    if (
      error instanceof BackendUnavailableError ||
      error instanceof RangeError ||
      error instanceof TypeError
    ) {
      throw new UsageError(error.message, 'map');
    }
    throw error;
  }
}

export async function map(args: readonly string[], io: Io): Promise<number> {
  const a = parseMapArgs(args);
  if (a === null) {
    io.stdout.write(MAP_USAGE);
    return EXIT_OK;
  }
  const fn = await loadTarget(splitTarget(a.target), io.cwd);
  const parallel = createParallel(a);
  // the call's run report, written when it ends (@parajob/observe, loaded only for --report)
  const report =
    a.report === null ? undefined : (await import('@parajob/observe')).recordRun(resolve(io.cwd, a.report));
  const input = await openInput(a.input, io);
  const { out, close } = await openOutput(a.output, io);

  // task index → input line, kept only for lines whose result is not written yet
  const lineOf = new Map<number, number>();
  let badLine: JsonlError | undefined;
  async function* calls(): AsyncGenerator<Delayed<unknown>> {
    let index = 0;
    try {
      for await (const call of readJsonl(readLines(input))) {
        lineOf.set(index++, call.line);
        yield new Delayed(fn, call.args);
      }
    } catch (error) {
      // a bad line ends the input: the lines before it still run and are written
      if (!(error instanceof JsonlError)) throw error;
      badLine = error;
    }
  }

  // the reader of the output may go away (`| head`): stop quietly, like other Unix filters. The
  // listener stays: a write that fails after the command returned must not crash the process.
  let outputError: NodeJS.ErrnoException | undefined;
  out.on('error', (error: NodeJS.ErrnoException) => {
    outputError ??= error;
  });

  let exitCode = EXIT_OK;
  let written = 0;
  try {
    for await (const value of parallel.iter(calls())) {
      const line = lineOf.get(written)!;
      lineOf.delete(written++);
      let text: string;
      try {
        text = JSON.stringify(value) ?? 'null';
      } catch (error) {
        io.stderr.write(`parajob: ${messages.map.unserializable(line, (error as Error).message)}\n`);
        exitCode = EXIT_FAILED;
        break;
      }
      try {
        await writeWithBackpressure(out, `${text}\n`);
      } catch (error) {
        outputError ??= error as NodeJS.ErrnoException;
      }
      if (outputError !== undefined) break;
    }
  } catch (error) {
    const index = (error as { taskIndex?: unknown } | null)?.taskIndex;
    const line = typeof index === 'number' ? lineOf.get(index) : undefined;
    const text =
      line === undefined
        ? messages.map.failed(describeError(error))
        : messages.map.taskFailed(line, describeError(error));
    io.stderr.write(`parajob: ${text}\n`);
    exitCode = EXIT_FAILED;
  } finally {
    await parallel.close();
    await report?.finish().catch((error: Error) => {
      io.stderr.write(`parajob: ${messages.map.reportUnwritable(a.report!, error.message)}\n`);
      exitCode = EXIT_FAILED;
    });
    await close().catch((error: NodeJS.ErrnoException) => {
      outputError ??= error;
    });
  }
  if (outputError !== undefined && outputError.code !== 'EPIPE') {
    io.stderr.write(`parajob: ${messages.map.outputUnwritable(a.output ?? 'stdout', outputError.message)}\n`);
    exitCode = EXIT_FAILED;
  }
  if (badLine !== undefined) {
    io.stderr.write(`parajob: ${badLine.message}\n`);
    exitCode = EXIT_FAILED;
  }
  return exitCode;
}
