import { describe, expect, it } from 'vitest';
import { glueNegativeValues, parseJobs, parseList } from '../src/args.js';
import { parseDemoArgs } from '../src/commands/demo.js';
import { parseMapArgs } from '../src/commands/map.js';
import { UsageError } from '../src/errors.js';

describe('glueNegativeValues', () => {
  it('glues a negative number to -j and --jobs so parseArgs accepts it', () => {
    expect(glueNegativeValues(['-j', '-1', 'x'], ['-j', '--jobs'])).toEqual(['-j-1', 'x']);
    expect(glueNegativeValues(['--jobs', '-2'], ['-j', '--jobs'])).toEqual(['--jobs=-2']);
  });
  it('leaves other arguments, and everything after --, alone', () => {
    expect(glueNegativeValues(['-j', '4', '--', '-j', '-1'], ['-j'])).toEqual(['-j', '4', '--', '-j', '-1']);
    expect(glueNegativeValues(['-i', '-'], ['-j'])).toEqual(['-i', '-']);
  });
});

describe('parseJobs', () => {
  it('accepts non-zero integers and falls back when absent', () => {
    expect(parseJobs('-1', 1, 'map')).toBe(-1);
    expect(parseJobs('3', 1, 'map')).toBe(3);
    expect(parseJobs(undefined, -1, 'map')).toBe(-1);
  });
  it.each(['0', 'all', '1.5', ''])('refuses %j with a UsageError naming -j', (value) => {
    expect(() => parseJobs(value, 1, 'demo')).toThrow(UsageError);
    expect(() => parseJobs(value, 1, 'demo')).toThrow(/-j\/--jobs/);
  });
});

describe('parseList', () => {
  it('splits on commas and drops empty items', () => {
    expect(parseList(' a, b,,c ')).toEqual(['a', 'b', 'c']);
  });
});

describe('parseMapArgs', () => {
  it('reads the target and every option', () => {
    expect(
      parseMapArgs([
        './t.js#f',
        '-i',
        'in.jsonl',
        '--output',
        'out.jsonl',
        '-j',
        '-1',
        '--backend',
        'threads',
        '--progress',
        '--report',
        'run.html',
      ]),
    ).toEqual({
      target: './t.js#f',
      input: 'in.jsonl',
      output: 'out.jsonl',
      nJobs: -1,
      backend: 'threads',
      progress: true,
      report: 'run.html',
    });
  });
  it("defaults: stdin, stdout, all CPUs, the default backend; '-' means stdio", () => {
    expect(parseMapArgs(['m#f', '--input', '-', '-o', '-'])).toEqual({
      target: 'm#f',
      input: null,
      output: null,
      nJobs: -1,
      backend: null,
      progress: false,
      report: null,
    });
  });
  it('returns null for --help', () => {
    expect(parseMapArgs(['--help'])).toBeNull();
  });
  it('refuses a missing target, extra positionals and unknown options as usage errors of map', () => {
    for (const args of [[], ['a#b', 'c#d'], ['a#b', '--bogus'], ['a#b', '-j']]) {
      let caught: unknown;
      try {
        parseMapArgs(args);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(args)).toBeInstanceOf(UsageError);
      expect((caught as UsageError).command).toBe('map');
    }
  });
});

describe('parseDemoArgs', () => {
  it('reads --quick, --backends and -j', () => {
    expect(parseDemoArgs(['--quick', '--backends', 'threads,,child-process,threads', '-j', '2'])).toEqual({
      quick: true,
      backends: ['threads', 'child-process'],
      nJobs: 2,
    });
    expect(parseDemoArgs([])).toEqual({ quick: false, backends: null, nJobs: -1 });
  });
  it('refuses an empty --backends list and stray arguments', () => {
    expect(() => parseDemoArgs(['--backends', ','])).toThrow(/at least one backend/);
    expect(() => parseDemoArgs(['fast'])).toThrow(UsageError);
  });
});
