import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readCounter } from '@cachelab/telemetry';
import { waitFor } from '@cachelab/testing';
import { testEnv } from './catalog-service';

const MAIN = join(__dirname, '..', '..', 'src', 'main.ts');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  /** cachelab_origin_queries_total for one operation, read from this instance's /metrics. */
  originQueries(operation: string): Promise<number>;
  stop(): Promise<void>;
}

/** A real second (third, ...) instance: its own process, connections and in-process state. */
export async function spawnCatalogService(overrides: Record<string, string> = {}): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, ...testEnv({ PORT: String(port), ...overrides }) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`catalog-service exited: ${stderr}`);
      return (await fetch(`${url}/readyz`)).ok;
    },
    { timeoutMs: 30_000, what: 'catalog-service to be ready' },
  );
  return {
    url,
    child,
    async originQueries(operation) {
      const text = await (await fetch(`${url}/metrics`)).text();
      return readCounter(text, 'cachelab_origin_queries_total', { operation });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
