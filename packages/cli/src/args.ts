/** Command-line parsing on node:util parseArgs, with errors turned into UsageErrors. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { messages } from './messages.js';
import type { UsageName } from './usage.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `-j -1` is how joblib users write "all CPUs", but parseArgs reads a value starting with '-' as
 * a missing value: glue a negative number to its option (`--jobs=-1`) before parsing.
 */
export function glueNegativeValues(args: readonly string[], optionNames: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (optionNames.includes(arg) && next !== undefined && /^-\d+$/.test(next)) {
      out.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

export interface Parsed<V> {
  readonly values: V;
  readonly positionals: string[];
}

/** Strict parsing: an unknown option or a missing value is a UsageError for `usage`. */
export function parse<V>(
  args: readonly string[],
  options: Options,
  usage: UsageName,
  valueOptions: readonly string[] = [],
): Parsed<V> {
  try {
    const { values, positionals } = parseArgs({
      args: glueNegativeValues(args, valueOptions),
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as V, positionals };
  } catch (error) {
    throw new UsageError(messages.usage.parse((error as Error).message.split('\n')[0]!), usage);
  }
}

/** `-j` / `--jobs`: a non-zero integer (joblib's n_jobs), or the default when absent. */
export function parseJobs(value: string | undefined, fallback: number, usage: UsageName): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n === 0)
    throw new UsageError(messages.usage.jobs(value), usage);
  return n;
}

/** A comma-separated list, empty items dropped: "a, b,,c" → ['a', 'b', 'c']. */
export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
