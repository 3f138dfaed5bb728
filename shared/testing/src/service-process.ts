import { spawn, type ChildProcess } from 'node:child_process';
import { readCounter } from '@cachelab/telemetry';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

export interface SpawnServiceOptions {
  /** The service's entry point (`src/main.ts`), run as `node --import tsx <main>`. */
  main: string;
  /** The service's name, for error messages: `user-service`. */
  name: string;
  /** Set over this process's environment; PORT is set by spawnService (a free port). */
  env: Record<string, string>;
  /** Variables removed from the child's environment after `env` is applied. */
  unset?: string[];
  /** Working directory of the child; by default this process's. */
  cwd?: string;
  /** How long the service may take to answer /readyz with 200. Default 30 s. */
  readyTimeoutMs?: number;
}

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  /** A counter (summed over matching label sets) read from this instance's /metrics. */
  counter(name: string, labels?: Record<string, string>): Promise<number>;
  /** cachelab_origin_queries_total for one operation, read from this instance's /metrics. */
  originQueries(operation: string): Promise<number>;
  /** SIGTERM, then resolves once the process exited (at once if it already had). */
  stop(): Promise<void>;
}

// A child killed by a signal has a signalCode and no exitCode.
const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/**
 * A service as a real process on a free port, resolved once its /readyz answers 200: a real
 * second (third, ...) instance with its own connections and in-process state. If it is not
 * ready in time it is killed, and the error carries what it wrote to stderr if it exited.
 */
export async function spawnService(options: SpawnServiceOptions): Promise<ServiceProcess> {
  const port = await freePort();
  const env: Record<string, string | undefined> = { ...process.env, ...options.env, PORT: String(port) };
  for (const name of options.unset ?? []) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', options.main], {
    env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (exited(child)) throw new Error(`${options.name} exited: ${stderr}`);
        return (await fetch(`${url}/readyz`)).ok;
      },
      { timeoutMs: options.readyTimeoutMs ?? 30_000, what: `${options.name} to be ready` },
    );
  } catch (error) {
    child.kill('SIGKILL'); // never ready: do not leave it running behind the failed test
    throw error;
  }
  const counter = async (name: string, labels: Record<string, string> = {}) =>
    readCounter(await (await fetch(`${url}/metrics`)).text(), name, labels);
  return {
    url,
    child,
    counter,
    originQueries: (operation) => counter('cachelab_origin_queries_total', { operation }),
    async stop() {
      if (exited(child)) return;
      const exit = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exit;
    },
  };
}
