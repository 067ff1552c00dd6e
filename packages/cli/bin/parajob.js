#!/usr/bin/env node
// The `parajob` executable. A committed file, not a build output: npm links a bin at install time
// only when its file exists, so in a fresh clone `npm ci` links this one and, once built,
// `npx parajob` runs dist/bin.js (the command).
try {
  await import('../dist/bin.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('bin.js')) throw error;
  process.stderr.write("parajob: @parajob/cli is not built yet: run 'npm run build' in the repository\n");
  process.exitCode = 1;
}
