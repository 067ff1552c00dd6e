/**
 * progress: true on a terminal, every local backend: what tasks print (in the caller, in worker
 * threads, in child processes) and log() lines appear above the bar, never through it.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNode } from '../helpers/run-node.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/every-backend/', import.meta.url));
const BACKENDS = ['sequential', 'threads', 'worker-threads', 'child-process'] as const;
const CLEAR = '\r\x1b[K';

describe.each(BACKENDS)('%s', (backend) => {
  it('keeps task output and log() above the bar', async () => {
    const out = await runNode(['progress.mjs', backend], { cwd: FIXTURES });
    expect(out.code, out.stderr).toBe(0);
    const screen = out.stderr;
    const foreign = [...Array.from({ length: 12 }, (_, i) => `task ${i} says hello`), 'caller says halfway'];
    for (const line of foreign) {
      const at = screen.indexOf(line);
      expect(at, `${line} missing in ${JSON.stringify(screen)}`).toBeGreaterThanOrEqual(0);
      // on a line of its own: at the start, after a newline, or after the bar was cleared
      const before = screen.slice(0, at);
      expect(before === '' || before.endsWith('\n') || before.endsWith(CLEAR), JSON.stringify(screen)).toBe(
        true,
      );
      expect(screen[at + line.length]).toBe('\n');
    }
    // the bar was drawn while tasks printed (else this test tests nothing), and redrawn after them
    expect(foreign.some((line) => screen.includes(`${CLEAR}${line}\n\r[`))).toBe(true);
    expect(screen).toMatch(
      new RegExp(
        String.raw`\r\[#+\] 100% 12\/12 \| \d+\.\ds\x1b\[K\n${backend} results 0,1,2,3,4,5,6,7,8,9,10,11\n$`,
      ),
    );
  });
});
