/**
 * Files the pages use, read from node_modules once: uPlot (the charting library) and its CSS. The
 * dashboard serves them; a run report inlines them, so the report is one self-contained file.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const FILES: Record<string, { module: string; type: string }> = {
  '/uplot.js': { module: 'uplot/dist/uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' },
  '/uplot.css': { module: 'uplot/dist/uPlot.min.css', type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, string>();

export function asset(path: '/uplot.js' | '/uplot.css'): string {
  let body = cache.get(path);
  if (body === undefined) {
    body = readFileSync(require.resolve(FILES[path]!.module), 'utf8');
    cache.set(path, body);
  }
  return body;
}

export function staticFile(path: string): { type: string; body: string } | undefined {
  const file = FILES[path];
  return file ? { type: file.type, body: asset(path as '/uplot.js') } : undefined;
}
