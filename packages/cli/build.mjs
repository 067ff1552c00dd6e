// Builds dist/ with tsc (one file per module: the worker commands are loaded by URL, lazily).
// The bin is made executable here: npm links it at `npm ci`, before any build, and cannot chmod a
// file that does not exist yet, so `npx parajob` in the repository would be "Permission denied".
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { addNodeTypesReference } from '../../scripts/node-types-reference.mjs';

const require = createRequire(import.meta.url);
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
addNodeTypesReference();
chmodSync('dist/bin.js', 0o755);
