/**
 * The native stack as a library, for tests and scripts:
 *
 *   const infra = await ensureInfra();          // idempotent `stack up --infra`
 *   await stopProcess('redis-7001');            // an outage, for real
 *   await startProcess('redis-7001');           // it comes back (and rejoins as a replica)
 *   await waitForHealthy({ scope: 'infra' });   // poll until the stack is whole again
 *
 * Process names: redis-7001..7006 (Cluster), redis-6381..6383 (Sentinel group),
 * sentinel-26381..26383, postgres, zipkin, jaeger, service-user|catalog|inventory.
 */
import { errorText } from './checks';
import { ensureJaeger } from './jaeger';
import { ensureZipkin } from './zipkin';
import { silent, type Logger } from './log';
import { startPostgres } from './postgres';
import { startClusterNode } from './redis-cluster';
import { currentMasterPort, startGroupNode, startSentinel } from './sentinel-group';
import { databaseUrl, ensureService, parseRedisMode } from './services';
import { readStackState } from './stack-state';
import { stopProcessByName, up } from './stack';
import { stackStatus, type StackStatus } from './status';
import type { Scope } from './stack-state';
import {
  CLUSTER_PORTS,
  DATABASES,
  HOST,
  MASTER_NAME,
  POSTGRES_PASSWORD,
  POSTGRES_PORT,
  POSTGRES_USER,
  SENTINEL_GROUP_PORTS,
  SENTINEL_PORTS,
  isServiceName,
  redisPassword,
} from './topology';
import { waitFor } from './wait';

export { databaseUrl, serviceEnv, availableServices, type ServiceEnv } from './services';
export { stackStatus, formatStatus, type StackStatus } from './status';
export {
  ensureZipkin,
  stopZipkin,
  zipkinAnswers,
  zipkinChecks,
  zipkinPid,
  zipkinProcess,
  zipkinPort,
  zipkinRssMb,
  zipkinRunning,
  zipkinSpansUrl,
  zipkinUiUrl,
  zipkinUrl,
  ZIPKIN_MAX_SPANS,
  type ZipkinOutcome,
} from './zipkin';
export { up, down, type UpOptions, type UpResult } from './stack';
export type { Check, CheckState, Component } from './checks';
export type { Scope } from './stack-state';
export type { Logger } from './log';
export * from './topology';

export interface Endpoint {
  host: string;
  port: number;
}

/** Plain data (serialisable, e.g. for vitest's `provide`) describing the running infrastructure. */
export interface InfraSettings {
  redisPassword: string;
  cluster: Endpoint[];
  sentinel: { masterName: string; sentinels: Endpoint[]; servers: Endpoint[] };
  postgres: { host: string; port: number; user: string; password: string; databaseUrls: Record<string, string> };
}

const endpoint = (port: number): Endpoint => ({ host: HOST, port });

export function infraSettings(): InfraSettings {
  return {
    redisPassword: redisPassword(),
    cluster: CLUSTER_PORTS.map(endpoint),
    sentinel: { masterName: MASTER_NAME, sentinels: SENTINEL_PORTS.map(endpoint), servers: SENTINEL_GROUP_PORTS.map(endpoint) },
    postgres: {
      host: HOST,
      port: POSTGRES_PORT,
      user: POSTGRES_USER,
      password: POSTGRES_PASSWORD,
      databaseUrls: Object.fromEntries(DATABASES.map((db) => [db, databaseUrl(db)])),
    },
  };
}

/**
 * Idempotent `stack up --infra`: Redis Cluster, Sentinel group and Postgres running and healthy.
 * Fast when they already are. Throws, naming what is wrong, when they cannot be made healthy.
 * Call it once (e.g. in vitest globalSetup), not from tests that stop servers on purpose.
 */
export async function ensureInfra({ log = silent }: { log?: Logger } = {}): Promise<InfraSettings> {
  const { status, errors } = await up({ infraOnly: true, log });
  const failing = status.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
  if (errors.length > 0 || !status.ok) throw new Error(`native infrastructure is not healthy:\n${[...errors, ...failing].join('\n')}`);
  return infraSettings();
}

/** Starts one process of the stack again (after stopProcess); resolves once it answers. */
export async function startProcess(name: string): Promise<void> {
  const [kind, rest = ''] = name.split(/-(.*)/s);
  const port = Number(rest);
  if (kind === 'redis' && (CLUSTER_PORTS as readonly number[]).includes(port)) await startClusterNode(port);
  else if (kind === 'redis' && (SENTINEL_GROUP_PORTS as readonly number[]).includes(port)) await startGroupNode(port);
  else if (kind === 'sentinel' && (SENTINEL_PORTS as readonly number[]).includes(port)) await startSentinel(port);
  else if (name === 'postgres') await startPostgres(silent);
  else if (name === 'zipkin') {
    const outcome = await ensureZipkin(silent);
    if (outcome.state === 'skipped') throw new Error(`zipkin cannot start: ${outcome.reason}`);
  } else if (name === 'jaeger') await ensureJaeger(silent);
  else if (kind === 'service' && isServiceName(rest)) await ensureService(rest, parseRedisMode(readStackState()?.mode), silent);
  else throw new Error(`unknown stack process "${name}"`);
}

/**
 * Stops one process that `up` started: SIGTERM (Postgres: SIGINT) then SIGKILL after a timeout.
 * Pass 'SIGKILL' to simulate a crash. Resolves to false when it was not running.
 */
export function stopProcess(name: string, { signal }: { signal?: NodeJS.Signals } = {}): Promise<boolean> {
  return stopProcessByName(name, signal);
}

/** The Sentinel group's current master, as the sentinels report it. */
export async function sentinelMaster(): Promise<Endpoint> {
  return endpoint(await currentMasterPort());
}

/** Polls `stack status` until everything in `scope` is healthy (default: the infrastructure). */
export async function waitForHealthy({ scope = 'infra', timeoutMs = 30_000 }: { scope?: Scope; timeoutMs?: number } = {}): Promise<StackStatus> {
  let last: StackStatus | undefined;
  try {
    await waitFor('the stack to be healthy', async () => (last = await stackStatus({ scope })).ok, { timeoutMs, intervalMs: 250 });
  } catch (error) {
    const failing = last?.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`) ?? [];
    throw new Error([errorText(error), ...failing].join('\n'));
  }
  return last as StackStatus;
}
