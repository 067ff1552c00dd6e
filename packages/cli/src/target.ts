/**
 * `MODULE#EXPORT` for `parajob map`: find the module (a path relative to the current directory,
 * or a package specifier), import it, and make the export a task() that workers can import.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TaskFunction } from '@parajob/core';
import { taskRefOf } from '@parajob/core/internal';
import { CliError, EXIT_USAGE } from './errors.js';
import { messages } from './messages.js';
import { wrapAsTask } from './task-wrapper.js';

export interface Target {
  readonly module: string;
  readonly exportName: string;
}

/** `./tasks.js#square` → module and export; no `#` means the default export. A leading `#` is a subpath import. */
export function splitTarget(target: string): Target {
  const hash = target.lastIndexOf('#');
  if (hash <= 0) {
    if (target.length === 0) throw new CliError(messages.map.emptyModule(target), EXIT_USAGE);
    return { module: target, exportName: 'default' };
  }
  const module = target.slice(0, hash);
  const exportName = target.slice(hash + 1);
  if (exportName.length === 0) throw new CliError(messages.map.emptyExport(target), EXIT_USAGE);
  return { module, exportName };
}

const looksLikePath = (spec: string) =>
  spec.startsWith('.') || isAbsolute(spec) || /^[a-z]:[\\/]/i.test(spec);

const isFile = (path: string) => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** The file: URL of the module, or a CliError (exit 2) saying what was tried. */
export function resolveModuleUrl(spec: string, cwd: string): string {
  if (spec.startsWith('file:')) return new URL(spec).href;
  const asPath = resolve(cwd, spec);
  if (looksLikePath(spec)) {
    if (isFile(asPath)) return pathToFileURL(asPath).href;
    throw new CliError(
      messages.map.moduleNotFound(
        spec,
        cwd,
        existsSync(asPath) ? `${asPath} is not a file` : `${asPath} does not exist`,
      ),
      EXIT_USAGE,
    );
  }
  // `tasks.js` without './' is what people type: a file of that name in cwd wins over a package
  if (isFile(asPath)) return pathToFileURL(asPath).href;
  try {
    // packages installed where the user runs the command
    return pathToFileURL(createRequire(join(cwd, 'package.json')).resolve(spec)).href;
  } catch (fromCwd) {
    try {
      // ESM-only packages (no "require" export), seen from the CLI's own installation
      return import.meta.resolve(spec);
    } catch {
      throw new CliError(
        messages.map.moduleNotFound(spec, cwd, (fromCwd as Error).message.split('\n')[0]!),
        EXIT_USAGE,
      );
    }
  }
}

/**
 * Imports the module and returns the export, as a task(): a function that is already one keeps
 * its reference; any other is registered with task() by a small wrapper module (task-wrapper.ts).
 */
export async function loadTarget(target: Target, cwd: string): Promise<TaskFunction> {
  const url = resolveModuleUrl(target.module, cwd);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    // Node 20 loads no TypeScript by itself: say how to run the command with a loader
    if ((error as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[cm]?tsx?$/.test(url))
      throw new CliError(messages.map.typescript(target.module, target.exportName), EXIT_USAGE);
    throw new CliError(
      messages.map.moduleFailed(
        target.module,
        error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      ),
      EXIT_USAGE,
    );
  }
  if (!(target.exportName in exports)) {
    throw new CliError(
      messages.map.exportMissing(target.module, target.exportName, Object.keys(exports)),
      EXIT_USAGE,
    );
  }
  const fn = exports[target.exportName];
  if (typeof fn !== 'function') {
    throw new CliError(
      messages.map.exportNotFunction(target.module, target.exportName, fn === null ? 'null' : typeof fn),
      EXIT_USAGE,
    );
  }
  return taskRefOf(fn) ? (fn as TaskFunction) : wrapAsTask(url, target.exportName);
}
