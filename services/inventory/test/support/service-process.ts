import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '@cachelab/testing';
import { testEnv } from './inventory-service';

const MAIN = join(__dirname, '..', '..', 'src', 'main.ts');

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * inventory-service as a real process (src/main.ts, telemetry included). An override set to ''
 * removes the variable (OTEL_EXPORTER_OTLP_ENDPOINT: '' sends spans to the state-dir file).
 */
export async function spawnInventoryService(overrides: Record<string, string> = {}): Promise<ServiceProcess> {
  const port = await freePort();
  const env: Record<string, string | undefined> = { ...process.env, ...testEnv({ PORT: String(port), ...overrides }) };
  for (const [key, value] of Object.entries(overrides)) if (value === '') delete env[key];
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env, cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`inventory-service exited: ${stderr}`);
      return (await fetch(`${url}/readyz`)).ok;
    },
    { timeoutMs: 30_000, what: 'inventory-service to be ready' },
  );
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
