import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Debian's Chromium, installed from apt when it is missing and we are root. Resolves with why
 * not when it cannot be had (the caller skips, saying so).
 */
export function ensureChromium(): { ok: true } | { ok: false; reason: string } {
  if (existsSync(CHROMIUM)) return { ok: true };
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    return { ok: false, reason: `${CHROMIUM} is missing and this is not root on Debian: install it with "apt-get install chromium"` };
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const argv of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-dejavu-core']]) {
    const result = spawnSync('apt-get', argv, { env, encoding: 'utf8', timeout: 600_000 });
    if (result.status !== 0) return { ok: false, reason: `apt-get ${argv.join(' ')} failed: ${(result.stderr || result.error?.message || '').slice(-400)}` };
  }
  return existsSync(CHROMIUM) ? { ok: true } : { ok: false, reason: `apt-get installed chromium but ${CHROMIUM} is not there` };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
