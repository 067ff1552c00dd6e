/**
 * The dashboard and the run report as a user sees them: pages opened in headless Chromium. The
 * dashboard of this process shows its worker, a call's progress reaching 100 %, and a failed task
 * with its index; the report (one file, opened from disk) shows the calls, the task stream and the
 * error. Screenshots are kept in e2e/artifacts/.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performanceReport, startDashboard } from '@parajob/observe';
import { delayed, Parallel } from 'parajob';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failAt, slowSquare } from '../fixtures/observe/tasks.mjs';
import { artifact, hasChromium, launchChromium } from '../helpers/browser.js';

describe.skipIf(!hasChromium)('observability in a browser', () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'parajob-observe-'));
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the dashboard shows the worker, a call reaching 100 %, and a failed task', async () => {
    const dashboard = await startDashboard({ port: 0 });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    try {
      await page.goto(dashboard.url);
      await page.locator('#conn', { hasText: 'live' }).waitFor();
      await page.locator('#workers td', { hasText: `pid ${process.pid}` }).waitFor();

      await using parallel = new Parallel({ nJobs: 2, batchSize: 1 });
      const call = parallel.run(Array.from({ length: 30 }, (_, i) => delayed(slowSquare)(i, 40)));
      // seen while running, then finished at 100 %
      await page.locator('#calls tr[data-status="running"]').waitFor();
      await call;
      const done = page.locator('#calls tr[data-status="completed"]').first();
      await done.waitFor();
      expect(await done.locator('.pct').textContent()).toBe('100 %');
      expect(await done.locator('progress').getAttribute('value')).toBe('100');

      const failing = parallel.run(Array.from({ length: 10 }, (_, i) => delayed(failAt)(i, 7)));
      await expect(failing).rejects.toThrow('input 7 is not allowed');
      const error = page.locator('#errors tr[data-task="7"]');
      await error.waitFor();
      expect(await error.locator('.task').textContent()).toBe('task 7');
      expect(await error.textContent()).toContain('RangeError: input 7 is not allowed');
      await page.locator('#calls tr[data-status="failed"]').waitFor();
      // the throughput chart is drawn by uPlot
      expect(await page.locator('#chart canvas').count()).toBe(1);
      await page.screenshot({ path: artifact('dashboard.png'), fullPage: true });
    } finally {
      await page.close();
      await dashboard.close();
    }
  });

  it('the dashboard refuses a page or stream without its token', async () => {
    const dashboard = await startDashboard({ port: 0, token: 's3cret' });
    try {
      const base = dashboard.url.replace(/\?.*$/, '');
      expect((await fetch(base)).status).toBe(401);
      expect((await fetch(`${base}events?token=wrong`)).status).toBe(401);
      const page = await browser.newPage();
      await page.goto(dashboard.url);
      await page.locator('#conn', { hasText: 'live' }).waitFor();
      await page.close();
    } finally {
      await dashboard.close();
    }
    await expect(startDashboard({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/token/);
  });

  it('the run report is one file with the calls, the task stream per slot, and the error with its task', async () => {
    const file = join(dir, 'run.html');
    await performanceReport(file, async () => {
      await using parallel = new Parallel({ nJobs: 2, batchSize: 2 });
      await parallel.run(Array.from({ length: 20 }, (_, i) => delayed(slowSquare)(i, 10)));
      const settled = await parallel.runSettled(Array.from({ length: 6 }, (_, i) => delayed(failAt)(i, 4)));
      expect(settled[4]!.status).toBe('rejected');
    });
    const html = readFileSync(file, 'utf8');
    // self-contained: no script or stylesheet fetched
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    try {
      await page.goto(pathToFileURL(file).href);
      expect(await page.locator('#summary').textContent()).toMatch(
        /^2 call\(s\), 26 tasks in \d+ batches, .* 1 error\(s\)$/,
      );
      expect(await page.locator('#calls tr').count()).toBe(2);
      expect(await page.locator('#stream canvas').count()).toBe(1);
      // one legend entry per slot: the call ran on 2 workers
      expect(await page.locator('#stream .u-legend th', { hasText: /^slot \d$/ }).count()).toBe(2);
      const error = page.locator('#errors tr.failed');
      expect(await error.count()).toBe(1);
      expect(await error.textContent()).toContain('task 4');
      await page.screenshot({ path: artifact('report.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });
});
