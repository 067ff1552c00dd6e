/** JSON Lines input for `parajob map`: one call per line, with 1-based line numbers for messages. */
import { createInterface } from 'node:readline';
import { messages } from './messages.js';

/** A line that is not valid JSON; `line` is 1-based. */
export class JsonlError extends Error {
  override name = 'JsonlError';
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(messages.map.badJson(line, detail));
  }
}

export interface JsonlCall {
  /** 1-based line number in the input. */
  readonly line: number;
  /** The argument list: the line's array, or its single value wrapped in one. */
  readonly args: readonly unknown[];
}

/**
 * One line → its argument list, or null for a blank line. A JSON array is the argument list
 * (`["a", 2]` → `fn("a", 2)`); any other value is the single argument (`{"x":1}` → `fn({x: 1})`).
 * To pass one array as the single argument, wrap it: `[[1, 2, 3]]`.
 */
export function parseJsonlLine(text: string, line: number): readonly unknown[] | null {
  const trimmed = text.trim();
  if (trimmed.length === 0) return null;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    throw new JsonlError(line, (error as Error).message);
  }
  return Array.isArray(value) ? value : [value];
}

/** Splits a stream into lines lazily (\n or \r\n; a byte-order mark at the start is dropped). */
export async function* readLines(input: NodeJS.ReadableStream): AsyncGenerator<string, void, undefined> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let first = true;
  try {
    for await (const line of lines) {
      yield first && line.startsWith('\uFEFF') ? line.slice(1) : line;
      first = false;
    }
  } finally {
    lines.close();
  }
}

/** The calls of a JSON Lines input, in order, skipping blank lines; throws JsonlError at a bad line. */
export async function* readJsonl(
  lines: AsyncIterable<string> | Iterable<string>,
): AsyncGenerator<JsonlCall, void, undefined> {
  let line = 0;
  for await (const text of lines) {
    line++;
    const args = parseJsonlLine(text, line);
    if (args !== null) yield { line, args };
  }
}
