/**
 * Worker side: TypeScript task modules when the program runs under tsx.
 *
 * Workers inherit the parent's execArgv, so `node --import tsx main.ts` runs tsx's preload in every
 * worker too. On Node versions without `worker_threads.isInternalThread` (Node 20, early 22), tsx's
 * preload registers its hooks on the main thread only, and hooks registered there do not reach
 * worker threads (nodejs/node#47747, privatenumber/tsx#354): importing a `.ts` task module would
 * fail with ERR_UNKNOWN_FILE_EXTENSION. There, the worker registers tsx itself, resolved from the
 * same place as the parent's flag. Newer Node versions need nothing from us.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as workerThreads from 'node:worker_threads';

const TSX_SPECIFIER = /^tsx(\/esm)?$|[\\/]tsx[\\/]dist[\\/](loader|esm[\\/]index)\.m?js$/;

/** The tsx specifier the process was started with (`--import tsx`, `--import=tsx/esm`, the tsx CLI's loader), if any. */
export function tsxImportFlag(execArgv: readonly string[]): string | undefined {
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    let value: string | undefined;
    if (arg === '--import' || arg === '--loader' || arg === '--experimental-loader') value = execArgv[i + 1];
    else if (/^--(import|loader|experimental-loader)=/.test(arg)) value = arg.slice(arg.indexOf('=') + 1);
    if (value !== undefined && TSX_SPECIFIER.test(value)) return value;
  }
  return undefined;
}

type ExportTarget = string | { readonly import?: ExportTarget; readonly default?: ExportTarget } | undefined;

function importTarget(target: ExportTarget): string | undefined {
  if (target === undefined || typeof target === 'string') return target;
  return importTarget(target.import ?? target.default);
}

/**
 * URL of tsx's ESM register API, found from where the parent's flag resolves. Its `import`
 * condition is needed: the CommonJS build registers its hooks relative to the wrong file when
 * imported from ESM.
 */
function tsxEsmApi(from: string): string {
  const manifest = createRequire(from).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, ExportTarget> };
  const target = importTarget(pkg.exports?.['./esm/api']) ?? './dist/esm/api/index.mjs';
  return pathToFileURL(path.join(path.dirname(manifest), target)).href;
}

let registered: Promise<void> | undefined;

/** Registers tsx in this worker when the parent used it and this Node does not carry its hooks over. */
export function ensureTypeScriptLoader(): Promise<void> {
  registered ??= (async () => {
    if (workerThreads.isMainThread || 'isInternalThread' in workerThreads) return;
    const flag = tsxImportFlag(process.execArgv);
    if (flag === undefined) return;
    const from = flag.startsWith('file:')
      ? fileURLToPath(flag)
      : path.isAbsolute(flag)
        ? flag
        : path.join(process.cwd(), 'noop.js');
    const { register } = (await import(tsxEsmApi(from))) as { register: () => unknown };
    register();
  })();
  return registered;
}
