/**
 * The whole runtime of @parajob/core in one module, for the build only (not an export): it is
 * bundled into dist/all.js, and index, internal and backend become one-line re-exports of it
 * (scripts/build-package.mjs --shared). A program, and each worker it starts, then loads four
 * files of core instead of six, with one instance of every module.
 */
export * from './backend-api.js';
export * from './index.js';
export * from './internal.js';
