import * as fs from 'node:fs';
import * as path from 'node:path';
import { check, type Check } from './checks';
import type { Logger } from './log';
import { httpGet } from './net';
import { cacheDir, statePath } from './paths';
import { runningProcess, startAndWait, stopManaged } from './processes';
import { HOST, JAEGER_PROCESS, JAEGER_UI_PORT } from './topology';

const HINT = 'optional: put a Jaeger v2 `jaeger` binary on PATH or in $CACHELAB_CACHE_DIR/bin/jaeger to collect traces (spans go to .cachelab/traces/ meanwhile)';

/** Jaeger is optional in the native stack: used when a `jaeger` binary is on PATH or in the cache dir. */
export function findJaeger(): string | undefined {
  const candidates = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, 'jaeger')), path.join(cacheDir(), 'bin', 'jaeger')];
  return candidates.find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

async function jaegerAnswers(): Promise<boolean> {
  try {
    return (await httpGet(`http://${HOST}:${JAEGER_UI_PORT}/`, 1000)).status === 200;
  } catch {
    return false;
  }
}

/** True when the stack's Jaeger is running (services then export spans to it over OTLP/HTTP). */
export const jaegerRunning = (): boolean => runningProcess(JAEGER_PROCESS) !== null;

export async function ensureJaeger(log: Logger): Promise<'skipped' | 'running' | 'started'> {
  const binary = findJaeger();
  if (!binary) return 'skipped';
  if (jaegerRunning() || (await jaegerAnswers())) return 'running';
  const dir = statePath('jaeger');
  fs.mkdirSync(dir, { recursive: true });
  // With no config, Jaeger v2 runs all-in-one: in-memory storage, UI on 16686, OTLP on 4317/4318.
  await startAndWait({ name: JAEGER_PROCESS, command: binary, args: [], cwd: dir }, jaegerAnswers, 30_000);
  log(`jaeger: started (${binary})`);
  return 'started';
}

export const stopJaeger = (): Promise<boolean> => stopManaged(JAEGER_PROCESS);

export async function jaegerChecks(): Promise<Check[]> {
  if (await jaegerAnswers()) return [check('jaeger', JAEGER_PROCESS, 'ok', `UI http://${HOST}:${JAEGER_UI_PORT}`, { port: JAEGER_UI_PORT })];
  if (!findJaeger()) return [check('jaeger', JAEGER_PROCESS, 'skipped', 'no jaeger binary', { hint: HINT })];
  return [check('jaeger', JAEGER_PROCESS, 'down', `no answer on ${JAEGER_UI_PORT}`, { port: JAEGER_UI_PORT, hint: 'npm run stack -- up' })];
}
