/**
 * Command-line parsing on node:util parseArgs, strict, with its errors turned into UsageErrors
 * in our own words: parseArgs' messages ("argument is ambiguous", "To specify a positional
 * argument starting with a '-'...") describe its internals, not what the user should type.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { messages } from './messages.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** A number, possibly negative or fractional: `-1`, `-1.5`, `-.5`, `-1e3`. */
const NEGATIVE_NUMBER = /^-(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * `-j -1` is how joblib users write "all CPUs", but parseArgs reads a value starting with '-' as
 * a missing value: glue a negative number to its option (`--jobs=-1`) before parsing, so the
 * option's own check judges it (`-j -1.5` → "must be a non-zero integer, got '-1.5'").
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
    if (optionNames.includes(arg) && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** How an option is written in messages: `-j/--jobs`, or `--backends` when it has no short form. */
export function optionLabel(options: Options, name: string): string {
  const short = options[name]?.short;
  return short ? `-${short}/--${name}` : `--${name}`;
}

/** The option a parseArgs message is about ('-j, --jobs <value>', '--quick', '-j'), by its long name. */
function optionNamed(options: Options, text: string): string | undefined {
  const long = /--([\w-]+)/.exec(text)?.[1];
  if (long !== undefined && long in options) return long;
  const short = /(?:^|[\s'])-(\w)\b/.exec(text)?.[1];
  return Object.keys(options).find((name) => options[name]!.short === short);
}

/** parseArgs' error, said as what to type instead. */
export function explainParseError(error: unknown, args: readonly string[], options: Options): string {
  const { code, message } = error as { code?: string; message?: string };
  const text = String(message ?? error);
  const quoted = /'([^']+)'/.exec(text)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return messages.usage.unknownOption(quoted.split(/[=\s]/)[0]!);
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return messages.usage.unexpected([quoted]);
  const name = optionNamed(options, quoted);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && name !== undefined) {
    const label = optionLabel(options, name);
    if (/does not take an argument/.test(text)) return messages.usage.noValue(label);
    if (/ambiguous/.test(text)) {
      // the value that follows looks like an option: say it, and how to pass it anyway
      const at = args.findIndex((a) => a === `--${name}` || a === `-${options[name]!.short}`);
      return messages.usage.dashValue(label, name, args[at + 1] ?? '');
    }
    return messages.usage.missingValue(label);
  }
  return text.split('\n')[0]!;
}

export interface Parsed<V> {
  readonly values: V;
  readonly positionals: string[];
}

/** Strict parsing: an unknown option or a missing value is a UsageError of `command` ('map', 'worker nats'). */
export function parse<V>(
  args: readonly string[],
  options: Options,
  command: string,
  valueOptions: readonly string[] = [],
): Parsed<V> {
  const glued = glueNegativeValues(args, valueOptions);
  try {
    const { values, positionals } = parseArgs({ args: glued, options, allowPositionals: true, strict: true });
    return { values: values as V, positionals };
  } catch (error) {
    throw new UsageError(explainParseError(error, glued, options), command);
  }
}

/** `-j` / `--jobs`: a non-zero integer (joblib's n_jobs), or the default when absent. */
export function parseJobs(value: string | undefined, fallback: number, command: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n === 0)
    throw new UsageError(messages.usage.jobs(value), command);
  return n;
}

/** A comma-separated list, empty items dropped: "a, b,,c" → ['a', 'b', 'c']. */
export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
