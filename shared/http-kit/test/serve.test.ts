import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp, serve } from '../src';
import { memoryLogger, startApp, waitFor } from './helpers';

describe('serve', () => {
  it('reports the real port when asked for port 0', async () => {
    const { url, port } = await startApp();
    expect(port).toBeGreaterThan(0);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('rejects when the port is taken', async () => {
    const { port } = await startApp();
    const { logger } = memoryLogger();
    const app = createApp({ serviceName: 't', readiness: async () => ({}), routes: () => {}, logger });
    await expect(serve(app, { port, host: '127.0.0.1', handleSignals: false, logger })).rejects.toThrow(/EADDRINUSE/);
  });

  it('lets an in-flight request finish, refuses new ones, then runs the hooks in order', async () => {
    let entered!: () => void;
    const inRoute = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const events: string[] = [];
    const served = await startApp({
      routes: (app) =>
        app.get('/slow', async (_req, res) => {
          entered();
          await gate;
          res.json({ finished: true });
        }),
      onShutdown: [
        async () => void events.push('redis closed'),
        async () => {
          throw new Error('prisma hook fails');
        },
        async () => void events.push('telemetry flushed'),
      ],
    });
    // An idle keep-alive connection, which must not hold the shutdown up.
    expect((await fetch(`${served.url}/healthz`)).status).toBe(200);

    const inFlight = fetch(`${served.url}/slow`);
    await inRoute;
    let closed = false;
    const closing = served.close().then(() => (closed = true));
    await expect(fetch(`${served.url}/healthz`)).rejects.toThrow();
    expect(closed).toBe(false);
    expect(events).toEqual([]);

    const releasedAt = Date.now();
    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toEqual({ finished: true });
    await closing;
    expect(Date.now() - releasedAt).toBeLessThan(1000);
    expect(events).toEqual(['redis closed', 'telemetry flushed']);
    expect(served.lines.some((line) => line.msg === 'shutdown hook failed')).toBe(true);
    expect(served.close()).toBe(served.close());
  });

  it('cuts requests still running at the drain timeout', async () => {
    let entered!: () => void;
    const inRoute = new Promise<void>((resolve) => (entered = resolve));
    const { logger, lines } = memoryLogger();
    const app = createApp({
      serviceName: 't',
      readiness: async () => ({}),
      logger,
      routes: (app) =>
        app.get('/forever', () => {
          entered();
          return new Promise(() => {});
        }),
    });
    const served = await serve(app, { port: 0, host: '127.0.0.1', handleSignals: false, logger, drainTimeoutMs: 100 });
    const inFlight = fetch(`http://127.0.0.1:${served.port}/forever`);
    await inRoute;
    await served.close();
    await expect(inFlight).rejects.toThrow();
    expect(lines.some((line) => /drain timeout/.test(line.msg ?? ''))).toBe(true);
  });
});

const fixture = path.join(__dirname, 'fixtures', 'serve-child.ts');

function startChild(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: path.join(__dirname, '..'),
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => stdout };
}

describe('serve on a signal', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('runs the hooks and exits 0 on %s', async (signal) => {
    const { child, exited, output } = startChild({});
    await waitFor(() => output().includes('listening'), 15_000);
    child.kill(signal);
    expect(await exited).toBe(0);
    expect(output()).toMatch(/hook 1\nhook 2\n/);
  }, 20_000);

  it('exits 1 when shutdown outlives the timeout', async () => {
    const { child, exited, output } = startChild({ HANG_HOOK: '1', SHUTDOWN_TIMEOUT_MS: '200' });
    await waitFor(() => output().includes('listening'), 15_000);
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect(output()).toContain('hook 1');
    expect(output()).not.toContain('hook 2');
  }, 20_000);
});
