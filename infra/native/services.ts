import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { check, errorText, type Check } from './checks';
import { jaegerRunning } from './jaeger';
import { zipkinRunning, zipkinSpansUrl } from './zipkin';
import type { Logger } from './log';
import { httpGet, tcpOpen } from './net';
import { logFile, repoRoot, stateDir } from './paths';
import { runningProcess, startAndWait, stopManaged } from './processes';
import { masterPortFromConfigs } from './sentinel-group';
import { waitFor } from './wait';
import {
  CLUSTER_PORTS,
  HOST,
  JAEGER_OTLP_HTTP_PORT,
  MASTER_NAME,
  POSTGRES_PASSWORD,
  POSTGRES_PORT,
  POSTGRES_USER,
  REDIS_MODES,
  SENTINEL_PORTS,
  SERVICE_NAMES,
  SERVICE_PORTS,
  hostPort,
  redisPassword,
  serviceProcessName,
  type RedisMode,
  type ServiceName,
} from './topology';

const run = promisify(execFile);

/** The environment of a service in the native stack (docs/architecture.md, "Environment"). */
export interface ServiceEnv {
  PORT: string;
  DATABASE_URL: string;
  REDIS_MODE: RedisMode;
  REDIS_NODES: string;
  REDIS_SENTINELS: string;
  REDIS_MASTER_NAME: string;
  REDIS_PASSWORD: string;
  CACHELAB_STATE_DIR: string;
  LOG_LEVEL: string;
  /** Zipkin's span API; only set when the stack's Zipkin runs (or the caller's environment names one). */
  CACHELAB_ZIPKIN_URL?: string;
  /** Only set when the stack's Jaeger runs (or the caller's environment names a collector). */
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
}

export const serviceDir = (name: ServiceName): string => path.join(repoRoot, 'services', name);

export function databaseUrl(database: string): string {
  return `postgresql://${POSTGRES_USER}:${POSTGRES_PASSWORD}@${HOST}:${POSTGRES_PORT}/${database}`;
}

export function parseRedisMode(value: string | undefined): RedisMode {
  const mode = value || 'cluster';
  if (!(REDIS_MODES as readonly string[]).includes(mode)) throw new Error(`REDIS_MODE must be one of ${REDIS_MODES.join(', ')}; got ${mode}`);
  return mode as RedisMode;
}

/**
 * The one place that decides a service's environment, used by `stack up`, `npm run service` and
 * tests. REDIS_MODE, LOG_LEVEL, CACHELAB_ZIPKIN_URL and OTEL_EXPORTER_OTLP_ENDPOINT default to the caller's
 * environment; `overrides` win over everything (an override set to undefined removes the variable).
 */
export function serviceEnv(name: ServiceName, overrides: Partial<ServiceEnv> = {}): ServiceEnv {
  const mode = parseRedisMode(overrides.REDIS_MODE ?? process.env.REDIS_MODE);
  const zipkin = process.env.CACHELAB_ZIPKIN_URL || (zipkinRunning() ? zipkinSpansUrl() : undefined);
  const otel = process.env.OTEL_EXPORTER_OTLP_ENDPOINT || (jaegerRunning() ? `http://${HOST}:${JAEGER_OTLP_HTTP_PORT}` : undefined);
  const env: ServiceEnv = {
    PORT: String(SERVICE_PORTS[name]),
    DATABASE_URL: databaseUrl(`cachelab_${name}`),
    REDIS_MODE: mode,
    // The native stack has no standalone server: standalone mode talks to the Sentinel group's
    // current master directly (a cluster node would answer a standalone client with MOVED).
    REDIS_NODES: (mode === 'standalone' ? [masterPortFromConfigs()] : CLUSTER_PORTS).map(hostPort).join(','),
    REDIS_SENTINELS: SENTINEL_PORTS.map(hostPort).join(','),
    REDIS_MASTER_NAME: MASTER_NAME,
    REDIS_PASSWORD: redisPassword(),
    CACHELAB_STATE_DIR: stateDir(),
    LOG_LEVEL: process.env.LOG_LEVEL || 'info',
    ...(zipkin ? { CACHELAB_ZIPKIN_URL: zipkin } : {}),
    ...(otel ? { OTEL_EXPORTER_OTLP_ENDPOINT: otel } : {}),
  };
  for (const [key, value] of Object.entries(overrides) as [keyof ServiceEnv, string | undefined][]) {
    if (value === undefined) delete env[key];
    else (env as unknown as Record<string, string>)[key] = value;
  }
  return env;
}

/** The services that exist in this checkout (a directory counts once it has src/main.ts). */
export function availableServices(): ServiceName[] {
  return SERVICE_NAMES.filter((name) => fs.existsSync(path.join(serviceDir(name), 'src', 'main.ts')));
}

/** `node --import tsx <file>` from the service's folder, so that tsx picks up its tsconfig. */
export function serviceCommand(name: ServiceName, file: string): { command: string; args: string[]; cwd: string } {
  return { command: process.execPath, args: ['--import', 'tsx', file], cwd: serviceDir(name) };
}

async function readyz(port: number): Promise<{ ok: boolean; detail: string }> {
  try {
    const answer = await httpGet(`http://${HOST}:${port}/readyz`, 2000);
    return { ok: answer.status === 200, detail: `/readyz ${answer.status} ${answer.body.replace(/\s+/g, ' ').slice(0, 160)}` };
  } catch (error) {
    return { ok: false, detail: `/readyz: ${errorText(error)}` };
  }
}

/** Runs services/<name>/scripts/migrate.ts when the service has one; its output goes to the service log. */
async function migrate(name: ServiceName, env: ServiceEnv, log: Logger): Promise<void> {
  const script = path.join(serviceDir(name), 'scripts', 'migrate.ts');
  if (!fs.existsSync(script)) return;
  const { command, args, cwd } = serviceCommand(name, script);
  try {
    const { stdout, stderr } = await run(command, args, { cwd, env: { ...process.env, ...env }, timeout: 120_000 });
    fs.appendFileSync(logFile(serviceProcessName(name)), `\n--- migrate ${new Date().toISOString()}\n${stdout}${stderr}`);
    log(`${name}: migrations applied`);
  } catch (error) {
    const output = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-10).join('\n');
    throw new Error(`${name}: migrations failed: ${output || errorText(error)}`);
  }
}

/** The environment a service was started with, as recorded in its pid file (the password left out). */
function envMeta(env: ServiceEnv): Record<string, string> {
  const { REDIS_PASSWORD: _password, ...visible } = env;
  return { mode: env.REDIS_MODE, ...visible };
}

function changedKeys(before: Record<string, string> | undefined, after: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after)]);
  return [...keys].filter((key) => before?.[key] !== after[key]);
}

/**
 * Idempotent: a running instance started with the same environment is left alone; one started
 * with another (REDIS_MODE changed, Zipkin appeared, ...) is restarted. Migrations run before a (re)start.
 */
export async function ensureService(name: ServiceName, mode: RedisMode, log: Logger): Promise<'running' | 'started'> {
  const processName = serviceProcessName(name);
  const port = SERVICE_PORTS[name];
  const env = serviceEnv(name, { REDIS_MODE: mode });
  const meta = envMeta(env);
  const running = runningProcess(processName);
  const changed = running ? changedKeys(running.meta, meta) : [];
  if (running && changed.length === 0) {
    // It may still be reconnecting to a dependency that `up` has just restarted.
    await waitFor(`${name} to be ready`, async () => (await readyz(port)).ok, { timeoutMs: 15_000, intervalMs: 250 }).catch(() => undefined);
    return 'running';
  }
  if (running) {
    log(`${name}: restarting, its environment changed (${changed.join(', ')})`);
    await stopManaged(processName);
  } else if (await tcpOpen(port)) {
    if ((await readyz(port)).ok) return 'running';
    throw new Error(`${name}: port ${port} is taken by something that is not a ready ${name}-service`);
  }
  await migrate(name, env, log);
  const spec = { name: processName, ...serviceCommand(name, 'src/main.ts'), env: { ...process.env, ...env }, meta };
  await startAndWait(spec, async () => (await readyz(port)).ok, 90_000);
  log(`${name}: started on ${port} (REDIS_MODE=${mode})`);
  return 'started';
}

export const stopService = (name: ServiceName): Promise<boolean> => stopManaged(serviceProcessName(name));

export async function serviceChecks(names: ServiceName[]): Promise<Check[]> {
  return Promise.all(
    names.map(async (name) => {
      const port = SERVICE_PORTS[name];
      const ready = await readyz(port);
      const mode = runningProcess(serviceProcessName(name))?.meta?.mode;
      const detail = `${mode ? `REDIS_MODE=${mode}, ` : ''}${ready.detail}`;
      const state = ready.ok ? 'ok' : (await tcpOpen(port)) ? 'degraded' : 'down';
      const hint = ready.ok ? {} : { hint: `npm run stack -- up; log: ${logFile(serviceProcessName(name))}` };
      return check('service', name, state, detail, { port, processName: serviceProcessName(name), ...hint });
    }),
  );
}
