/**
 * The `--allow` grammar, one for every remote worker. An entry is either `.` (the root project:
 * modules named `./path`, and the root package by its own name) or a package-name pattern in
 * which `*` stands for any characters except `/` (`my-tasks`, `@acme/*`, `@acme/tasks-*`).
 * Entries never name paths: a package is allowed as a whole, and which of its files are reachable
 * is decided by its own `exports` map.
 */
import { messages } from './messages.js';

export const ROOT_PROJECT = '.';

/** Package names as npm allows them (lower or upper case, scoped or not); `*` only in patterns. */
const NAME_PATTERN = /^(?:@[a-z0-9*~][a-z0-9*._~-]*\/)?[a-z0-9*~][a-z0-9*._~-]*$/i;

export type NameMatcher = (packageName: string) => boolean;

/** Parses one `--allow` entry; throws a RangeError naming the flag for anything else. */
export function allowMatcher(entry: string): NameMatcher | typeof ROOT_PROJECT {
  if (entry === ROOT_PROJECT) return ROOT_PROJECT;
  if (!NAME_PATTERN.test(entry)) throw new RangeError(messages.flags.allowEntry(entry));
  if (!entry.includes('*')) return (name) => name === entry;
  const source = entry
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  const re = new RegExp(`^${source}$`);
  return (name) => re.test(name);
}

/** The parsed `--allow` list: whether the root project is allowed, and the package matchers. */
export class AllowList {
  readonly entries: readonly string[];
  readonly rootProject: boolean;
  private readonly matchers: NameMatcher[] = [];

  /** `entries` empty means the default: the root project only. */
  constructor(entries: readonly string[]) {
    this.entries = entries.length > 0 ? [...entries] : [ROOT_PROJECT];
    let rootProject = false;
    for (const entry of this.entries) {
      const matcher = allowMatcher(entry);
      if (matcher === ROOT_PROJECT) rootProject = true;
      else this.matchers.push(matcher);
    }
    this.rootProject = rootProject;
  }

  allowsPackage(name: string): boolean {
    return this.matchers.some((m) => m(name));
  }
}
