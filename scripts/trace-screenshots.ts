/**
 * `npm run trace-screenshots`: pictures of real traces for docs/traces.md and the README, taken
 * from the running stack as a reader would see them in Zipkin's UI.
 *   1. provokes every behaviour once (scripts/demo/trace-tour.ts), unless --no-tour
 *   2. finds the newest trace of each in Zipkin (scripts/demo/trace-links.ts)
 *   3. opens each trace page in headless Chromium and saves docs/images/traces/<anchor>.png
 *
 * Usage: npm run stack -- up && npm run trace-screenshots [-- --no-tour] [-- --only a-hit,a-bloom-rejection]
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVICE_PORTS, zipkinUrl } from '../infra/native';
import { repoRoot } from '../infra/native/paths';
// Debian's Chromium, installed when missing, launched headless: the same as the comparison page's test.
import { ensureChromium, launchChromium } from '../tools/compare/test/support/chromium';
import { BEHAVIOURS, findTeachingTraces } from './demo/trace-links';
import { runTraceTour } from './demo/trace-tour';

const say = (message: string) => console.log(`\x1b[36m[trace-screenshots]\x1b[0m ${message}`);

interface ZipkinSpan {
  name?: string;
  parentId?: string;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

/** The span that carries the behaviour's tags (what docs/traces.md searches for). */
function taggedSpan(spans: ZipkinSpan[], tags: [string, string?][]): ZipkinSpan | undefined {
  return spans.find((span) => tags.every(([key, value]) => span.tags?.[key] !== undefined && (value === undefined || span.tags[key] === value)));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'no-tour': { type: 'boolean' }, only: { type: 'string' } } });
  const only = values.only?.split(',').map((anchor) => anchor.trim());
  const since = Date.now();
  if (!values['no-tour']) {
    say('provoking every behaviour once (the trace tour)');
    const url = (port: number) => `http://127.0.0.1:${port}`;
    await runTraceTour({ user: url(SERVICE_PORTS.user), catalog: url(SERVICE_PORTS.catalog), inventory: url(SERVICE_PORTS.inventory) });
  }
  const links = await findTeachingTraces({ zipkinUrl: zipkinUrl(), sinceMs: values['no-tour'] ? since - 3_600_000 : since });
  if (links[0]?.url.startsWith('npm ')) throw new Error('Zipkin is not running: npm run stack -- up');
  const outDir = join(repoRoot, 'docs', 'images', 'traces');
  mkdirSync(outDir, { recursive: true });
  const chromium = ensureChromium();
  if (!chromium.ok) throw new Error(chromium.reason);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
    for (const behaviour of BEHAVIOURS) {
      if (only && !only.includes(behaviour.anchor)) continue;
      const link = links.find((l) => l.behaviour === behaviour.behaviour);
      if (!link) {
        say(`no trace for "${behaviour.behaviour}" (search: ${behaviour.tags.map((t) => t.join('=')).join(' and ')})`);
        continue;
      }
      // The root span's name, to wait until the UI has drawn the trace (Zipkin lower-cases names).
      const spans = (await (await fetch(`${zipkinUrl()}/api/v2/trace/${link.traceId}`)).json()) as ZipkinSpan[];
      const root = spans.find((span) => !span.parentId)?.name ?? spans[0]?.name ?? '';
      await page.goto(link.url, { waitUntil: 'networkidle' });
      await page.getByText(root, { exact: false }).first().waitFor({ timeout: 15_000 });
      // Select the span that carries the tags, so that the side panel shows them.
      const tagged = taggedSpan(spans, behaviour.tags);
      if (tagged?.name && tagged.name !== root) {
        await page.getByText(`${tagged.localEndpoint?.serviceName ?? ''}: ${tagged.name}`, { exact: true }).first().click();
      }
      const file = join(outDir, `${behaviour.anchor}.png`);
      await page.screenshot({ path: file });
      say(`${behaviour.behaviour}: ${file.slice(repoRoot.length + 1)} (${link.url})`);
    }
  } finally {
    await browser.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
