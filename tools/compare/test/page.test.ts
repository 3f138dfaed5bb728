import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCompare, type CompareResult } from '../src';
import { ensureChromium, launchChromium } from './support/chromium';
import { writeSyntheticRun } from './support/synthetic-run';

/**
 * comparison.html opened as a person would, in headless Chromium: every chart drawn (its canvas
 * not blank), nothing fetched from outside the file, no console error and no page error.
 */
let chromium: ReturnType<typeof ensureChromium>;
let browser: Browser | undefined;
let result: CompareResult;
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'cachelab-page-'));
  const startMs = Date.now() - 60_000;
  writeSyntheticRun(stateDir, startMs);
  result = await runCompare({ since: startMs - 1000, source: 'files', stateDir });
  chromium = ensureChromium();
  if (chromium.ok) browser = await launchChromium();
  else console.warn(`[compare] the page test is skipped: ${chromium.reason}`);
}, 600_000);

afterAll(async () => {
  await browser?.close();
});

describe('comparison.html', () => {
  it('is written with the run in it: table, lab comparisons, trace links, k6 report links', () => {
    const html = readFileSync(result.htmlPath, 'utf8');
    expect(html).toContain('Wrong on purpose, side by side');
    expect(html).toContain('A burst of 500 cold reads');
    expect(html).toContain('href="http://127.0.0.1:9411/zipkin/traces/abc"');
    expect(html).toContain('href="../user-profiles.html"');
    expect(html).not.toContain('href="../comparison.html"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing loaded from elsewhere
    expect(readFileSync(result.markdownPath, 'utf8')).toContain('| user-service | cache-aside | cache.get user.profile | miss | 10 |');
  });

  it('renders every chart in headless Chromium with no console error', async (context) => {
    if (!browser) {
      console.warn(`[compare] skipped: ${chromium.ok ? 'no browser' : chromium.reason}`);
      context.skip();
    }
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const outside: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(result.htmlPath).href);
    await page.waitForSelector('body[data-charts]');

    const canvases = await page.$$eval('canvas', (elements) =>
      elements.map((canvas) => {
        // This package's tsconfig has no DOM types: the little of a canvas that is used, spelled out.
        const c = canvas as unknown as {
          id: string;
          width: number;
          height: number;
          getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
        };
        const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted += 1;
        return { id: c.id, width: c.width, height: c.height, painted };
      }),
    );
    const drawn = Number(await page.getAttribute('body', 'data-charts'));
    // 2 latency charts, origin, hit ratio, results, one per lab comparison.
    expect(canvases.map((canvas) => canvas.id).sort()).toEqual(
      ['chart-cache-latency', 'chart-hit-ratio', 'chart-lab-0', 'chart-lab-1', 'chart-origin', 'chart-request-latency', 'chart-results'].sort(),
    );
    expect(drawn).toBe(canvases.length);
    for (const canvas of canvases) {
      expect(canvas.width * canvas.height, canvas.id).toBeGreaterThan(0);
      // Axes, labels and bars: a drawn chart paints a good share of its pixels, a blank one none.
      expect(canvas.painted / (canvas.width * canvas.height), canvas.id).toBeGreaterThan(0.01);
    }
    expect(problems).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  });
});
