/**
 * Which stack frames are parajob's own machinery (the CLI, core's scheduler and worker runtime,
 * the backends, piscina) or Node's internals: a stack shown to the user keeps only the frames of
 * the user's code, where the error is to be fixed.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Packages whose code runs the user's tasks: their frames say nothing about the user's bug. */
const MACHINERY = [
  'parajob',
  '@parajob/core',
  '@parajob/worker-threads',
  '@parajob/child-process',
  '@parajob/threads',
  '@parajob/nats',
  '@parajob/grpc',
  'piscina',
];

let prefixes: string[] | undefined;

/** The folders of those packages' entry files (their dist/), as paths and as file: URLs. */
function machineryPrefixes(): string[] {
  if (prefixes !== undefined) return prefixes;
  const dirs = new Set([dirname(fileURLToPath(import.meta.url))]);
  // from the CLI, and from parajob (which depends on the backends: a strict layout hides them from us)
  const bases = [import.meta.url];
  try {
    bases.push(import.meta.resolve('parajob'));
  } catch {
    // parajob not installed: the CLI's own dependencies are enough
  }
  for (const base of bases) {
    const require = createRequire(base);
    for (const name of MACHINERY) {
      try {
        dirs.add(dirname(require.resolve(name)));
      } catch {
        // an optional package that is not installed has no frames either
      }
    }
  }
  prefixes = [...dirs].flatMap((dir) => [`${dir}/`, `${pathToFileURL(dir).href}/`]);
  return prefixes;
}

/** True for a stack line (`    at fn (file:line:col)`) of parajob's machinery, Node's internals, or no file at all. */
export function isInternalFrame(line: string): boolean {
  if (/\bnode:internal\//.test(line) || /\(node:[\w/]+:\d+/.test(line)) return true;
  if (!/[/\\]/.test(line)) return true; // `at async Promise.all (index 0)`, `<anonymous>`
  return machineryPrefixes().some((prefix) => line.includes(prefix));
}
