/**
 * `parajob map` on a plain export (a function not marked with task()): workers call only
 * functions registered with task() by the module they import, so the command writes a tiny
 * module, in a temporary folder removed at exit, that imports the user's module and registers
 * that export with task(). Workers import the wrapper; the user's own module is left untouched.
 * A local user's choice: remote workers never see this (the wrapper is outside any project).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TaskFunction } from '@parajob/core';

let folder: string | undefined;

export async function wrapAsTask(moduleUrl: string, exportName: string): Promise<TaskFunction> {
  if (folder === undefined) {
    const created = mkdtempSync(join(tmpdir(), 'parajob-map-'));
    folder = created;
    process.once('exit', () => rmSync(created, { recursive: true, force: true }));
  }
  const file = join(folder, `task-${Date.now().toString(36)}.mjs`);
  const name = JSON.stringify(exportName);
  const url = pathToFileURL(file).href;
  // the literal URL, not import.meta.url: a loader such as tsx may add a query to the latter
  writeFileSync(
    file,
    `import { task } from ${JSON.stringify(import.meta.resolve('@parajob/core'))};\n` +
      `import * as m from ${JSON.stringify(moduleUrl)};\n` +
      `export default task(${JSON.stringify(url)}, m[${name}], { name: ${name} });\n`,
  );
  return ((await import(url)) as { default: TaskFunction }).default;
}
