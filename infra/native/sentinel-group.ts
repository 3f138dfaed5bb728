import * as fs from 'node:fs';
import * as path from 'node:path';
import { check, errorText, type Check } from './checks';
import type { Logger } from './log';
import { assertPortFree } from './net';
import { infraDir, statePath } from './paths';
import { runningProcess, startAndWait, stopManaged } from './processes';
import { parseInfo, pingRedis, withRedis } from './redis-client';
import { confQuote, writeRedisInstanceConfig } from './redis-conf';
import { HOST, MASTER_NAME, SENTINEL_GROUP_PORTS, SENTINEL_PORTS, groupNodeName, redisPassword, sentinelName } from './topology';
import { waitFor } from './wait';

const groupNodeDir = (port: number): string => statePath('sentinel-group', String(port));
const sentinelDir = (port: number): string => statePath('sentinel', String(port));
const sentinelConf = (port: number): string => path.join(sentinelDir(port), 'sentinel.conf');

const pairs = (reply: unknown): Record<string, string> => {
  const list = reply as string[];
  const result: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) result[String(list[i])] = String(list[i + 1]);
  return result;
};

async function askSentinelForMaster(port: number): Promise<number | null> {
  const address = (await withRedis(port, (redis) => redis.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME), 800)) as
    | string[]
    | null;
  return address ? Number(address[1]) : null;
}

/**
 * The master as the sentinels last wrote it into their configs (they rewrite them at every
 * failover; the highest config epoch wins), else 6381. Synchronous, for serviceEnv.
 */
export function masterPortFromConfigs(): number {
  let best: { epoch: number; port: number } | undefined;
  for (const port of SENTINEL_PORTS) {
    const text = fs.existsSync(sentinelConf(port)) ? fs.readFileSync(sentinelConf(port), 'utf8') : '';
    const monitor = text.match(new RegExp(`^sentinel monitor ${MASTER_NAME} \\S+ (\\d+)`, 'm'));
    const epoch = Number(text.match(new RegExp(`^sentinel config-epoch ${MASTER_NAME} (\\d+)`, 'm'))?.[1] ?? 0);
    if (monitor && (!best || epoch > best.epoch)) best = { epoch, port: Number(monitor[1]) };
  }
  return best?.port ?? SENTINEL_GROUP_PORTS[0];
}

/**
 * The port of the group's current master: asked from a running sentinel, else read from their
 * configs. Starting a server as master or replica from this keeps a restart from undoing a failover.
 */
export async function currentMasterPort(): Promise<number> {
  for (const port of SENTINEL_PORTS) {
    const master = await askSentinelForMaster(port).catch(() => null);
    if (master) return master;
  }
  return masterPortFromConfigs();
}

/** Starts one server of the group unless it runs, as master or as replica of the current master. */
export async function startGroupNode(port: number): Promise<'running' | 'started'> {
  const name = groupNodeName(port);
  if (runningProcess(name) || (await pingRedis(port))) return 'running';
  await assertPortFree(port, 'a Redis server');
  const master = await currentMasterPort();
  const dir = groupNodeDir(port);
  const conf = path.join(dir, 'redis.conf');
  writeRedisInstanceConfig(conf, {
    port,
    dir,
    includes: ['redis-common.conf', 'sentinel-group.conf'],
    extra: master === port ? [] : [`replicaof ${HOST} ${master}`],
  });
  await startAndWait({ name, command: 'redis-server', args: [conf], cwd: dir }, () => pingRedis(port));
  return 'started';
}

/**
 * Sentinel rewrites its own config (current master, epochs, known replicas and sentinels), so the
 * template is copied into the state dir once and then kept; only the per-instance lines (port,
 * dir, passwords, also as the `user default` line Sentinel writes) are replaced on each start, so
 * that a changed REDIS_PASSWORD or state dir takes effect without losing the group's state.
 */
function writeSentinelConfig(port: number): string {
  const file = sentinelConf(port);
  const base = fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8').split('\n').filter((line) => !INSTANCE_LINE.test(line)).join('\n')
    : fs.readFileSync(path.join(infraDir, 'sentinel', 'sentinel.conf'), 'utf8');
  const instance = [
    INSTANCE_MARKER,
    `port ${port}`,
    `bind ${HOST}`,
    `dir ${confQuote(sentinelDir(port))}`,
    `requirepass ${confQuote(redisPassword())}`,
    `sentinel auth-pass ${MASTER_NAME} ${confQuote(redisPassword())}`,
  ];
  fs.mkdirSync(sentinelDir(port), { recursive: true });
  fs.writeFileSync(file, `${base.trimEnd()}\n\n${instance.join('\n')}\n`, { mode: 0o600 });
  return file;
}

const INSTANCE_MARKER = '# Per-instance settings, written by infra/native/sentinel-group.ts';
const INSTANCE_LINE = new RegExp(`^(${INSTANCE_MARKER}|port |bind |dir |requirepass |user default |sentinel auth-pass )`);

export async function startSentinel(port: number): Promise<'running' | 'started'> {
  const name = sentinelName(port);
  if (runningProcess(name) || (await pingRedis(port))) return 'running';
  await assertPortFree(port, 'a sentinel');
  const conf = writeSentinelConfig(port);
  const spec = { name, command: 'redis-server', args: [conf, '--sentinel'], cwd: sentinelDir(port) };
  await startAndWait(spec, () => pingRedis(port));
  return 'started';
}

export const stopGroupNode = (port: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> =>
  stopManaged(groupNodeName(port), { signal });
export const stopSentinel = (port: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> =>
  stopManaged(sentinelName(port), { signal });

interface GroupView {
  nodes: { port: number; replication?: Record<string, string>; error?: string }[];
  sentinels: { port: number; masterPort?: number | null; master?: Record<string, string>; error?: string }[];
}

async function inspectGroup(): Promise<GroupView> {
  const nodes = Promise.all(
    SENTINEL_GROUP_PORTS.map(async (port) => {
      try {
        return { port, replication: parseInfo(await withRedis(port, (redis) => redis.info('replication'))) };
      } catch (error) {
        return { port, error: errorText(error) };
      }
    }),
  );
  const sentinels = Promise.all(
    SENTINEL_PORTS.map(async (port) => {
      try {
        return await withRedis(port, async (redis) => {
          const address = (await redis.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as string[] | null;
          const master = pairs(await redis.call('SENTINEL', 'master', MASTER_NAME));
          return { port, masterPort: address ? Number(address[1]) : null, master };
        });
      } catch (error) {
        return { port, error: errorText(error) };
      }
    }),
  );
  return { nodes: await nodes, sentinels: await sentinels };
}

/** Problems that keep the group from being "one master, two attached replicas, three agreeing sentinels". */
function groupProblems(view: GroupView): string[] {
  const problems: string[] = [];
  const masters = new Set(view.sentinels.map((s) => s.masterPort).filter((port): port is number => typeof port === 'number'));
  if (masters.size !== 1) problems.push(masters.size === 0 ? 'no sentinel knows the master' : 'sentinels disagree on the master');
  const masterPort = [...masters][0];
  for (const sentinel of view.sentinels) {
    if (sentinel.error) problems.push(`sentinel ${sentinel.port} unreachable`);
    const flags = sentinel.master?.flags ?? '';
    if (/s_down|o_down/.test(flags)) problems.push(`sentinel ${sentinel.port} sees the master as ${flags}`);
    if (sentinel.master && Number(sentinel.master['num-other-sentinels']) < SENTINEL_PORTS.length - 1) {
      problems.push(`sentinel ${sentinel.port} knows ${sentinel.master['num-other-sentinels']} other sentinels`);
    }
  }
  for (const node of view.nodes) {
    const replication = node.replication;
    if (!replication) problems.push(`${node.port} unreachable`);
    else if (node.port === masterPort && replication.role !== 'master') problems.push(`${node.port} should be master`);
    else if (node.port !== masterPort && replication.role !== 'slave') problems.push(`${node.port} is a second master`);
    else if (node.port !== masterPort && Number(replication.master_port) !== masterPort) problems.push(`${node.port} follows ${replication.master_port}`);
    else if (node.port !== masterPort && replication.master_link_status !== 'up') problems.push(`${node.port} replica link down`);
  }
  return problems;
}

async function waitHealthy(timeoutMs: number): Promise<void> {
  let problems: string[] = [];
  try {
    await waitFor('the Sentinel group to be healthy', async () => (problems = groupProblems(await inspectGroup())).length === 0, {
      timeoutMs,
      intervalMs: 200,
    });
  } catch (error) {
    throw new Error(`${errorText(error)}: ${problems.join('; ')}`);
  }
}

/** Idempotent: starts what is missing (master first), then waits until sentinels agree and replicas are attached. */
export async function ensureSentinelGroup(log: Logger): Promise<void> {
  const master = await currentMasterPort();
  const replicas = SENTINEL_GROUP_PORTS.filter((port) => port !== master);
  const started: number[] = [];
  const note = (port: number) => (state: 'running' | 'started') => state === 'started' && started.push(port);
  await startGroupNode(master).then(note(master));
  await Promise.all(replicas.map((port) => startGroupNode(port).then(note(port))));
  await Promise.all(SENTINEL_PORTS.map((port) => startSentinel(port).then(note(port))));
  if (started.length > 0) log(`sentinel group: started ${started.sort((a, b) => a - b).join(', ')} (master ${master})`);
  // A fresh sentinel finds the others through hello messages every 2 s.
  await waitHealthy(20_000);
}

export async function sentinelChecks(): Promise<Check[]> {
  const view = await inspectGroup();
  const problems = groupProblems(view);
  const checks: Check[] = [];
  for (const node of view.nodes) {
    const name = groupNodeName(node.port);
    const r = node.replication;
    if (!r) checks.push(check('sentinel-group', name, 'down', node.error ?? 'unreachable', { port: node.port }));
    else if (r.role === 'master') checks.push(check('sentinel-group', name, 'ok', `master, ${r.connected_slaves} replicas attached`, { port: node.port }));
    else {
      const detail = `replica of ${r.master_port}, link ${r.master_link_status}`;
      checks.push(check('sentinel-group', name, r.master_link_status === 'up' ? 'ok' : 'degraded', detail, { port: node.port }));
    }
  }
  for (const sentinel of view.sentinels) {
    const name = sentinelName(sentinel.port);
    if (sentinel.error) {
      checks.push(check('sentinel-group', name, 'down', sentinel.error, { port: sentinel.port }));
      continue;
    }
    const flags = sentinel.master?.flags ?? '?';
    const others = sentinel.master?.['num-other-sentinels'] ?? '?';
    const healthy = sentinel.masterPort !== null && flags === 'master';
    const detail = `master ${sentinel.masterPort ?? 'unknown'} (${flags}), ${others} other sentinels`;
    checks.push(check('sentinel-group', name, healthy ? 'ok' : 'degraded', detail, { port: sentinel.port }));
  }
  const reachable = checks.some((c) => c.state !== 'down');
  const summary = problems.length === 0 ? `master ${view.sentinels[0]?.masterPort}, 2 replicas, 3 sentinels agree` : problems.join('; ');
  const state = problems.length === 0 ? 'ok' : reachable ? 'degraded' : 'down';
  const hint = problems.length > 0 ? { hint: 'npm run stack -- up --infra' } : {};
  return [check('sentinel-group', 'sentinel-group', state, summary, hint), ...checks];
}
