/** Versions of the installed parajob packages, read from their package.json files. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The version of an installed package, or null when it is not installed here. */
export function packageVersion(name: string): string | null {
  try {
    return (require(`${name}/package.json`) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

export function cliVersion(): string {
  return (require('../package.json') as { version: string }).version;
}
