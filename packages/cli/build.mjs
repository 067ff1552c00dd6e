// Builds dist/ with tsc (one file per module: the worker commands are loaded by URL, lazily), then
// makes the entry declarations reference Node's types (scripts/node-types-reference.mjs).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { addNodeTypesReference } from '../../scripts/node-types-reference.mjs';

const require = createRequire(import.meta.url);
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
addNodeTypesReference();
