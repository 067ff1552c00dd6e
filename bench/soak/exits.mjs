/**
 * Parent exits: a parent process (parent.mjs) whose workers spin on a large shared array ends by
 * every way a process ends; then nothing of it may be left: no worker process, no file.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { alive, filesOf, settled } from './leaks.mjs';

const PARENT = fileURLToPath(new URL('./parent.mjs', import.meta.url));
export const ENDINGS = ['normal', 'throw', 'exit', 'SIGINT', 'SIGTERM', 'SIGKILL'];

/** Runs one parent to its end; returns the problems (empty when nothing hung or leaked). */
export async function runParentExit(backend, ending) {
  const child = spawn(process.execPath, [PARENT, backend, ending], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => child.once('exit', () => resolve(true)));
  const bound = (ms) => new Promise((resolve) => setTimeout(() => resolve(false), ms).unref());
  const problems = [];
  if (ending.startsWith('SIG')) {
    const end = Date.now() + 30_000;
    while ((out.match(/SPINNING/g) ?? []).length < 2 && Date.now() < end && child.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 50));
    if ((out.match(/SPINNING/g) ?? []).length < 2) problems.push(`hang: parent ${ending} never spun: ${out}`);
    child.kill(ending);
  }
  if (!(await Promise.race([exited, bound(30_000)]))) {
    problems.push(`hang: parent (${backend}, ${ending}) did not exit`);
    child.kill('SIGKILL');
    await exited;
  }
  const pids = JSON.parse(/PIDS (\[[^\]]*\])/.exec(out)?.[1] ?? '[]');
  if (backend === 'child-process' && pids.length === 0)
    problems.push(`wrong-result: parent gave no pids: ${out}`);
  const orphans = await settled(() => pids.filter(alive), 10_000);
  if (orphans.length > 0) problems.push(`leak-processes: ${orphans.join(',')} after ${ending}`);
  const files = await settled(() => filesOf(child.pid), 10_000);
  if (files.length > 0) problems.push(`leak-files: ${files.join(',')} after ${ending}`);
  return problems;
}
