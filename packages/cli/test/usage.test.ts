/** Every option that a command accepts is described in its --help text, long and short forms. */
import { describe, expect, it } from 'vitest';
import type { Options } from '../src/args.js';
import { OPTIONS as DEMO_OPTIONS } from '../src/commands/demo.js';
import { OPTIONS as INFO_OPTIONS } from '../src/commands/info.js';
import { OPTIONS as MAP_OPTIONS } from '../src/commands/map.js';
import { USAGES } from '../src/usage.js';

const COMMANDS: Array<[string, Options, string]> = [
  ['demo', DEMO_OPTIONS, USAGES.demo],
  ['map', MAP_OPTIONS, USAGES.map],
  ['info', INFO_OPTIONS, USAGES.info],
];

describe('--help describes every option', () => {
  it.each(COMMANDS)('parajob %s', (_command, options, usage) => {
    for (const [name, option] of Object.entries(options)) {
      // its line in the Options section: "  -j, --jobs N      workers (default ...)"
      const form = option.short ? `-${option.short}, --${name}` : `--${name}`;
      expect(usage, form).toMatch(new RegExp(`^ {2}${form}\\b.*? {2,}\\S`, 'm'));
    }
  });
});
