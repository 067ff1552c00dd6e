// A backend written only from docs/writing-a-backend.md passes the conformance suite: the fixture
// is the page's example, and the first test keeps the two identical.
import { readFileSync } from 'node:fs';
import { describeBackendConformance } from '@parajob/core/testing';
import { describe, expect, it } from 'vitest';
import { ThreadPerBatchBackend } from './fixtures/third-party/my-backend.js';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('the third-party backend fixture', () => {
  it("is the code of docs/writing-a-backend.md's example, unchanged", () => {
    const doc = read('../../../docs/writing-a-backend.md');
    const blocks = [...doc.matchAll(/```\w+\n([\s\S]*?)```/g)].map((m) => m[1]);
    for (const file of ['my-worker.mjs', 'my-backend.ts']) {
      const block = blocks.find((b) => b!.startsWith(`// ${file}`));
      expect(block, file).toBeDefined();
      expect(read(`./fixtures/third-party/${file}`)).toBe(block);
    }
  });
});

describeBackendConformance('third-party (from the docs)', { create: () => new ThreadPerBatchBackend() });
