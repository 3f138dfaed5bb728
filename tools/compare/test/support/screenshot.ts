/**
 * A full-page screenshot of a comparison page, for docs/images:
 *   node --import tsx tools/compare/test/support/screenshot.ts <comparison.html> <out.png> [selector]
 * With a selector, only that element (e.g. `section:nth-of-type(2)`).
 */
import { pathToFileURL } from 'node:url';
import { launchChromium } from './chromium';

async function main(): Promise<void> {
  const [html, out, selector] = process.argv.slice(2);
  if (!html || !out) throw new Error('usage: screenshot.ts <comparison.html> <out.png> [selector]');
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(html).href);
    await page.waitForSelector('body[data-charts]');
    if (selector) await page.locator(selector).first().screenshot({ path: out });
    else await page.screenshot({ path: out, fullPage: true });
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
