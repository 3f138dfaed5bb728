import * as fs from 'node:fs';
import { errorText } from './checks';
import { ensureJaeger } from './jaeger';
import { ensureZipkin, stopZipkin } from './zipkin';
import { withStackLock } from './lock';
import { silent, type Logger } from './log';
import { statePath } from './paths';
import { ensurePostgres } from './postgres';
import { stopManaged } from './processes';
import { ensureCluster } from './redis-cluster';
import { ensureSentinelGroup } from './sentinel-group';
import { availableServices, ensureService, parseRedisMode } from './services';
import { clearStackState, writeStackState } from './stack-state';
import { stackStatus, type StackStatus } from './status';
import { JAEGER_PROCESS, POSTGRES_PROCESS, ZIPKIN_PROCESS, type RedisMode } from './topology';

// The stack's Zipkin and any other one ensureZipkin started (`zipkin-<port>`), and Jaeger.
const isTraceCollector = (name: string): boolean => name === JAEGER_PROCESS || name === ZIPKIN_PROCESS || name.startsWith(`${ZIPKIN_PROCESS}-`);

export interface UpOptions {
  /** Only Redis Cluster, the Sentinel group and Postgres (what the test suite needs). */
  infraOnly?: boolean;
  /** REDIS_MODE for the services; default: $REDIS_MODE, else cluster. */
  mode?: RedisMode;
  log?: Logger;
}

export interface UpResult {
  status: StackStatus;
  /** What could not be brought up, one message per part. */
  errors: string[];
}

async function settle(label: string, work: Promise<unknown>, errors: string[]): Promise<void> {
  try {
    await work;
  } catch (error) {
    errors.push(`${label}: ${errorText(error)}`);
  }
}

/** Starts the infrastructure parts that are not running; each part is independent of the others. */
async function upInfra(log: Logger, errors: string[]): Promise<void> {
  const started = Date.now();
  await Promise.all([
    settle('redis cluster', ensureCluster(log), errors),
    settle('sentinel group', ensureSentinelGroup(log), errors),
    settle('postgres', ensurePostgres(log), errors),
  ]);
  log(`infrastructure ${errors.length === 0 ? 'ready' : 'NOT ready'} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/**
 * The trace collectors: Zipkin (the default trace UI) and Jaeger (when a binary is installed).
 * Started beside the infrastructure and before the services, whose environment names them; a
 * collector that fails is reported but does not keep the services from starting (their spans
 * then go to the span files only).
 */
async function upTracing(log: Logger, errors: string[]): Promise<void> {
  await Promise.all([settle('zipkin', ensureZipkin(log), errors), settle('jaeger', ensureJaeger(log), errors)]);
}

/**
 * Idempotent `stack up`: leaves healthy running parts alone, starts or repairs the rest, then
 * reports the status of everything expected.
 */
export async function up({ infraOnly = false, mode, log = silent }: UpOptions = {}): Promise<UpResult> {
  const redisMode = parseRedisMode(mode ?? process.env.REDIS_MODE);
  const errors: string[] = [];
  await withStackLock(async () => {
    for (const dir of ['logs', 'pids']) fs.mkdirSync(statePath(dir), { recursive: true });
    const tracingErrors: string[] = [];
    await Promise.all([upInfra(log, errors), infraOnly ? undefined : upTracing(log, tracingErrors)]);
    if (!infraOnly) {
      const services = availableServices();
      if (errors.length > 0) errors.push(`services not started: the infrastructure is not healthy`);
      else await Promise.all(services.map((name) => settle(`${name}-service`, ensureService(name, redisMode, log), errors)));
    }
    errors.push(...tracingErrors);
    writeStackState(infraOnly ? 'infra' : 'all', redisMode);
  });
  return { status: await stackStatus({ scope: infraOnly ? 'infra' : 'all' }), errors };
}

function pidNames(): string[] {
  try {
    return fs.readdirSync(statePath('pids')).filter((f) => f.endsWith('.pid')).map((f) => f.slice(0, -4));
  } catch {
    return [];
  }
}

/** Stops one process that `up` started; Postgres gets its "fast" shutdown signal. */
export function stopProcessByName(name: string, signal?: NodeJS.Signals): Promise<boolean> {
  if (name === ZIPKIN_PROCESS) return stopZipkin();
  if (name === POSTGRES_PROCESS) return stopManaged(name, { signal: signal ?? 'SIGINT', timeoutMs: 20_000 });
  return stopManaged(name, signal ? { signal } : {});
}

/**
 * `stack down`: stops only what `up` started (its pid files): the services first, then the trace
 * collectors (which receive the services' last spans) and the sentinels (so that they do not fail
 * over a master that is merely shutting down), then the servers. Resolves to the names that were stopped.
 */
export async function down({ log = silent }: { log?: Logger } = {}): Promise<string[]> {
  return withStackLock(async () => {
    const names = pidNames();
    const phases = [
      names.filter((n) => n.startsWith('service-')),
      names.filter((n) => n.startsWith('sentinel-') || isTraceCollector(n)),
      names.filter((n) => !n.startsWith('service-') && !n.startsWith('sentinel-') && !isTraceCollector(n)),
    ];
    const stopped: string[] = [];
    for (const phase of phases) {
      const results = await Promise.all(phase.map((name) => stopProcessByName(name)));
      stopped.push(...phase.filter((_, i) => results[i]));
    }
    clearStackState();
    log(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'nothing to stop');
    return stopped;
  });
}
