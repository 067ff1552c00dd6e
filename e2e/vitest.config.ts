import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // real processes, servers and signals: one file at a time keeps a 2-core machine predictable
    fileParallelism: false,
  },
});
