/**
 * Whether the program's entry script is a bundle: a bundler (esbuild, webpack, rolldown) merged
 * other modules into it. `task()` then sees its module URL equal the entry script although the
 * user defined the task in a module of its own, and the advice differs: build the task module as
 * its own entry point, not "move the task into its own module". Only read on that error path.
 */
import { readFileSync } from 'node:fs';

/** Comments that bundlers put before each merged module: esbuild `// src/tasks.ts`, rolldown `//#region src/tasks.ts`. */
const MODULE_COMMENT = /^\/\/(?: |#region )[^\s]+\.(?:[cm]?[jt]sx?|json)$/gm;
const WEBPACK = /__webpack_require__|webpackBootstrap/;
const SOURCE_MAP = /\/\/# sourceMappingURL=([^\s]+)\s*$/;

/** Reads a file, or undefined when it cannot be read. */
function read(path: string | URL): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The number of sources an external or inline source map of the script lists (0 when none). */
function mappedSources(script: string, scriptUrl: string): number {
  const ref = SOURCE_MAP.exec(script)?.[1];
  if (ref === undefined) return 0;
  let text: string | undefined;
  const inline = /^data:application\/json;(?:charset=[^;,]+;)?base64,(.*)$/.exec(ref);
  if (inline) text = Buffer.from(inline[1]!, 'base64').toString('utf8');
  else {
    try {
      text = read(new URL(ref, scriptUrl));
    } catch {
      return 0;
    }
  }
  try {
    const sources = (JSON.parse(text ?? '{}') as { sources?: unknown }).sources;
    return Array.isArray(sources) ? sources.length : 0;
  } catch {
    return 0;
  }
}

/** True when the script at `url` (a file: URL) looks like the output of a bundler. */
export function looksLikeBundle(url: string): boolean {
  const script = read(new URL(url));
  if (script === undefined) return false;
  if (WEBPACK.test(script)) return true;
  if ((script.match(MODULE_COMMENT)?.length ?? 0) >= 2) return true;
  return mappedSources(script, url) >= 2;
}
