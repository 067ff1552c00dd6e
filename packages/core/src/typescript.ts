/**
 * Worker side: TypeScript task modules, wherever the caller's TypeScript support comes from.
 *
 * - `node --import tsx` (in execArgv or NODE_OPTIONS): a child process runs the preload itself.
 *   A worker thread on Node versions without `worker_threads.isInternalThread` (Node 20, early 22)
 *   does not get the hooks tsx registers on the main thread (nodejs/node#47747, privatenumber/tsx#354),
 *   so the worker registers tsx itself, resolved from the same place as the parent's flag.
 * - No loader flag at all (a test runner such as vitest transforms the caller's modules its own
 *   way): the worker registers tsx, resolved from the task module, then from the current directory.
 * - Another loader flag (ts-node, swc, ...) or Node's own type stripping: left to it.
 * Registration happens before the first task module import that needs it (see ensureTypeScriptFor).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as workerThreads from 'node:worker_threads';
import { messages } from './messages.js';

const TS_MODULE = /\.[cm]?tsx?$/;
const TSX_SPECIFIER = /^tsx(\/esm)?$|[\\/]tsx[\\/]dist[\\/](loader|esm[\\/]index)\.m?js$/;
const LOADER_FLAG = /^--(import|loader|experimental-loader)(=|$)/;

/** NODE_OPTIONS split into arguments (double or single quotes group, as Node parses it). */
export function nodeOptionsArgs(nodeOptions: string | undefined): string[] {
  if (!nodeOptions) return [];
  const args: string[] = [];
  for (const m of nodeOptions.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) args.push(m[1] ?? m[2] ?? m[3]!);
  return args;
}

/** The value of every `--import`/`--loader` flag in `args`. */
function loaderFlags(args: readonly string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!LOADER_FLAG.test(arg)) continue;
    const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[++i];
    if (value !== undefined) values.push(value);
  }
  return values;
}

/** The tsx specifier the process was started with (`--import tsx`, `--import=tsx/esm`, the tsx CLI's loader), if any. */
export function tsxImportFlag(execArgv: readonly string[]): string | undefined {
  return loaderFlags(execArgv).find((value) => TSX_SPECIFIER.test(value));
}

type ExportTarget = string | { readonly import?: ExportTarget; readonly default?: ExportTarget } | undefined;

function importTarget(target: ExportTarget): string | undefined {
  if (target === undefined || typeof target === 'string') return target;
  return importTarget(target.import ?? target.default);
}

/**
 * URL of tsx's ESM register API, resolved from the file `from`. Its `import` condition is needed:
 * the CommonJS build registers its hooks relative to the wrong file when imported from ESM.
 */
function tsxEsmApi(from: string): string {
  // node:module loads here, only when tsx is needed: a worker running plain JS tasks never pays for it
  const { createRequire } = process.getBuiltinModule('node:module');
  const manifest = createRequire(from).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, ExportTarget> };
  const target = importTarget(pkg.exports?.['./esm/api']) ?? './dist/esm/api/index.mjs';
  return pathToFileURL(path.join(path.dirname(manifest), target)).href;
}

/** Where to resolve tsx from: the flag's own file, the task module, the current directory. */
function tsxOrigins(flag: string | undefined, moduleUrl: string): string[] {
  const cwd = path.join(process.cwd(), 'noop.js');
  if (flag !== undefined) {
    if (flag.startsWith('file:')) return [fileURLToPath(flag)];
    if (path.isAbsolute(flag)) return [flag];
    return [cwd];
  }
  return moduleUrl.startsWith('file:') ? [fileURLToPath(moduleUrl), cwd] : [cwd];
}

/** What this thread needs before importing a TypeScript module: 'tsx' (register it), or 'none'. */
function needed(): { register: boolean; flag: string | undefined } {
  if ((process.features as { typescript?: unknown }).typescript) return { register: false, flag: undefined };
  const args = [...process.execArgv, ...nodeOptionsArgs(process.env.NODE_OPTIONS)];
  const flag = tsxImportFlag(args);
  if (flag !== undefined) {
    // the preload ran in this thread unless it is a worker thread of a Node that does not carry hooks over
    const hooksCarried = workerThreads.isMainThread || 'isInternalThread' in workerThreads;
    return { register: !hooksCarried, flag };
  }
  // another loader is the user's choice; no loader at all: nothing can load .ts but us
  return { register: loaderFlags(args).length === 0, flag: undefined };
}

let registered: Promise<void> | undefined;
let need: ReturnType<typeof needed> | undefined;

/**
 * Before importing `moduleUrl`: registers tsx in this thread when nothing else loads TypeScript
 * here. With a tsx flag that did not reach this thread, at the first import of any module (a `.js`
 * task module may import `.ts` files, as under tsx in the caller); with no loader at all, at the
 * first `.ts` module.
 */
export function ensureTypeScriptFor(moduleUrl: string): Promise<void> {
  if (registered !== undefined) return registered;
  need ??= needed();
  const { register, flag } = need;
  if (!register) return Promise.resolve();
  if (flag === undefined && !TS_MODULE.test(moduleUrl.replace(/[?#].*$/, ''))) return Promise.resolve();
  const registering = (async () => {
    let api: string | undefined;
    let lastError: unknown;
    for (const from of tsxOrigins(flag, moduleUrl)) {
      try {
        api = tsxEsmApi(from);
        break;
      } catch (error) {
        lastError = error;
      }
    }
    if (api === undefined) throw new Error(messages.ship.noTypeScriptLoader(moduleUrl), { cause: lastError });
    const { register: registerTsx } = (await import(api)) as { register: () => unknown };
    registerTsx();
  })();
  registered = registering;
  registering.catch(() => {
    if (registered === registering) registered = undefined;
  });
  return registering;
}
