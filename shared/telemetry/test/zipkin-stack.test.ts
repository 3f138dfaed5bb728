import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureZipkin, startProcess, stopProcess, stopZipkin, zipkinAnswers, zipkinChecks, zipkinRssMb } from '../../../infra/native';

// The native launcher's Zipkin, tested here because infra/native has no test runner of its own.
// The test runs a Zipkin of its own (its own state folder and port) so that stopping it never
// takes the trace UI away from the stack or from other tests.
let stateDir: string;
const saved = { state: process.env.CACHELAB_STATE_DIR, port: process.env.CACHELAB_ZIPKIN_PORT };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'cachelab-zipkin-stack-'));
  process.env.CACHELAB_STATE_DIR = stateDir;
  process.env.CACHELAB_ZIPKIN_PORT = String(await freePort());
});
afterAll(async () => {
  await stopZipkin();
  process.env.CACHELAB_STATE_DIR = saved.state;
  process.env.CACHELAB_ZIPKIN_PORT = saved.port;
  if (saved.state === undefined) delete process.env.CACHELAB_STATE_DIR;
  if (saved.port === undefined) delete process.env.CACHELAB_ZIPKIN_PORT;
  rmSync(stateDir, { recursive: true, force: true });
});

test('ensureZipkin starts it: status says ok with its UI, stopZipkin makes it down, ensureZipkin brings it back', async () => {
  const port = Number(process.env.CACHELAB_ZIPKIN_PORT);
  expect(await zipkinChecks()).toMatchObject([{ name: 'zipkin', state: 'down', ok: false, port }]);

  expect(await ensureZipkin(() => undefined)).toEqual({ state: 'started' });
  const [up] = await zipkinChecks();
  expect(up).toMatchObject({ state: 'ok', ok: true, port, detail: expect.stringContaining(`http://127.0.0.1:${port}/zipkin/`) });
  expect(up?.pid).toBeGreaterThan(0);
  // Bounded memory: the JVM is capped well inside the 512 MB budget.
  expect(zipkinRssMb()).toBeLessThan(512);
  // A second call finds it running and leaves it alone.
  expect(await ensureZipkin(() => undefined)).toEqual({ state: 'running' });

  expect(await stopZipkin()).toBe(true);
  expect(await zipkinAnswers()).toBe(false);
  expect(await zipkinChecks()).toMatchObject([{ state: 'down', ok: false, hint: 'npm run stack -- up' }]);

  await startProcess('zipkin');
  expect(await zipkinChecks()).toMatchObject([{ state: 'ok' }]);
  expect(await stopProcess('zipkin')).toBe(true);
  expect(await stopProcess('zipkin')).toBe(false);
}, 240_000);
