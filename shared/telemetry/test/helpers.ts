import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpanRecord } from '../src/file-exporter';

export interface FixtureRun {
  stdout: string;
  stderr: string;
}

/**
 * Runs `test/fixtures/<name>.ts` in a fresh Node process, the way services run (tsx, CommonJS),
 * so that each run gets its own OpenTelemetry globals and require hooks. Rejects unless it
 * exits with 0.
 */
export function runFixture(name: string, env: Record<string, string | undefined>): Promise<FixtureRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', `${name}.ts`)], {
    cwd: join(__dirname, '..'),
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: undefined, CACHELAB_TELEMETRY: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`fixture ${name} exited with ${code}\n${stdout}\n${stderr}`));
    });
  });
}

/** The last line of a fixture's stdout that parses as JSON: fixtures report through it. */
export function lastJsonLine<T>(stdout: string): T {
  const line = stdout.trim().split('\n').reverse().find((candidate) => candidate.startsWith('{'));
  if (!line) throw new Error(`no JSON line in fixture output:\n${stdout}`);
  return JSON.parse(line) as T;
}

export function readSpans(file: string): SpanRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as SpanRecord);
}

/** Polls `condition` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(condition: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = condition();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
