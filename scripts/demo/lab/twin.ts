/**
 * A twin of a stack service, started by the demo for one lab comparison and stopped right after:
 * the same code and the same Redis and Postgres, with one setting changed (CACHE_ENABLED=false,
 * WRITE_BEHIND_ENABLED=false). Its own process, so its /metrics count only its own traffic.
 * Log: $CACHELAB_STATE_DIR/logs/lab-twin-<service>-<port>.log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { httpGet, tcpOpen } from '../../../infra/native/net';
import { statePath } from '../../../infra/native/paths';
import { parseRedisMode, serviceCommand, serviceEnv } from '../../../infra/native/services';
import { readStackState } from '../../../infra/native/stack-state';
import { HOST, SERVICE_PORTS, type ServiceName } from '../../../infra/native/topology';
import { waitFor } from '../../../infra/native/wait';

export interface Twin {
  service: ServiceName;
  url: string;
  logPath: string;
  stop(): Promise<void>;
}

/** Ports handed to twins of this process, so that twins started together never pick the same. */
const claimed = new Set<number>();

/** The service's port + 100, + 200, ... : the first one free (as `npm run service` picks). */
async function freePort(base: number): Promise<number> {
  for (let port = base + 100; port < base + 1000; port += 100) {
    if (claimed.has(port)) continue;
    claimed.add(port);
    if (!(await tcpOpen(port))) return port;
  }
  throw new Error(`no free port for a twin of the service on ${base}`);
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Starts the twin and resolves once its /readyz answers 200 (it must within `timeoutMs`). */
export async function startTwin(service: ServiceName, settings: Record<string, string>, timeoutMs = 90_000): Promise<Twin> {
  const port = await freePort(SERVICE_PORTS[service]);
  const env = { ...process.env, ...serviceEnv(service, { PORT: String(port), REDIS_MODE: parseRedisMode(process.env.REDIS_MODE ?? readStackState()?.mode) }), ...settings };
  mkdirSync(statePath('logs'), { recursive: true });
  const logPath = statePath('logs', `lab-twin-${service}-${port}.log`);
  const log = openSync(logPath, 'w');
  const { command, args, cwd } = serviceCommand(service, 'src/main.ts');
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', log, log] });
  closeSync(log);
  // Never outlive the demo, even when it fails half-way.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  const url = `http://${HOST}:${port}`;
  const stop = async () => {
    process.removeListener('exit', orphanGuard);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited(child);
    clearTimeout(timer);
  };
  try {
    await waitFor(`the ${service} twin (${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(' ')}) to be ready on ${port}`, async () => (await httpGet(`${url}/readyz`, 2000)).status === 200, {
      timeoutMs,
      intervalMs: 250,
      abort: () => (child.exitCode !== null ? `it exited with ${child.exitCode}; see ${logPath}` : undefined),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { service, url, logPath, stop };
}
