import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { check, errorText, type Check } from './checks';
import type { Logger } from './log';
import { assertPortFree } from './net';
import { statePath } from './paths';
import { runningProcess, startAndWait, stopManaged } from './processes';
import { parseInfo, pingRedis, withRedis } from './redis-client';
import { writeRedisInstanceConfig } from './redis-conf';
import { CLUSTER_PORTS, clusterNodeName, hostPort, redisPassword } from './topology';
import { waitFor } from './wait';

const run = promisify(execFile);
const TOTAL_SLOTS = 16384;

const nodeDir = (port: number): string => statePath('redis-cluster', String(port));

/** What one node says about itself and the cluster. */
interface NodeView {
  port: number;
  reachable: boolean;
  error?: string;
  cluster: Record<string, string>;
  role?: string;
  linkUp?: boolean;
  keys?: number;
  /** CLUSTER NODES as this node sees it. */
  nodes?: ClusterNodeLine[];
}

interface ClusterNodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
  slots: number;
}

function parseClusterNodes(text: string): ClusterNodeLine[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', address = '', flags = '', masterId = '', , , , , ...slotRanges] = line.split(' ');
      const slots = slotRanges
        .filter((range) => !range.startsWith('['))
        .reduce((sum, range) => {
          const [from, to = from] = range.split('-').map(Number);
          return sum + ((to ?? 0) - (from ?? 0) + 1);
        }, 0);
      return { id, port: Number(address.split('@')[0]?.split(':')[1]), flags: flags.split(','), masterId, slots };
    });
}

async function inspectNode(port: number): Promise<NodeView> {
  try {
    return await withRedis(port, async (redis) => {
      const cluster = parseInfo(await redis.call('CLUSTER', 'INFO'));
      const replication = parseInfo(await redis.info('replication'));
      const nodes = parseClusterNodes(String(await redis.call('CLUSTER', 'NODES')));
      const view: NodeView = { port, reachable: true, cluster, nodes, keys: await redis.dbsize() };
      if (replication.role) view.role = replication.role;
      if (replication.role === 'slave') view.linkUp = replication.master_link_status === 'up';
      return view;
    });
  } catch (error) {
    return { port, reachable: false, error: errorText(error), cluster: {} };
  }
}

const inspectCluster = (): Promise<NodeView[]> => Promise.all(CLUSTER_PORTS.map(inspectNode));

/** Problems that keep the cluster from being "3 masters + 3 replicas, every slot served"; empty when healthy. */
function clusterProblems(views: NodeView[]): string[] {
  const problems: string[] = [];
  for (const view of views) {
    if (!view.reachable) {
      problems.push(`${view.port} unreachable`);
      continue;
    }
    if (view.cluster.cluster_state !== 'ok') problems.push(`${view.port} cluster_state:${view.cluster.cluster_state}`);
    if (view.cluster.cluster_slots_ok !== String(TOTAL_SLOTS)) {
      problems.push(`${view.port} sees ${view.cluster.cluster_slots_ok ?? 0}/${TOTAL_SLOTS} slots ok`);
    }
    if (view.linkUp === false) problems.push(`${view.port} replica link down`);
  }
  const lines = views.find((view) => view.nodes)?.nodes ?? [];
  const live = lines.filter((line) => !line.flags.includes('fail') && !line.flags.includes('fail?'));
  const masters = live.filter((line) => line.flags.includes('master') && line.slots > 0);
  const orphans = masters.filter((master) => !live.some((line) => line.masterId === master.id));
  if (lines.length > 0 && masters.length !== 3) problems.push(`${masters.length} masters serve slots (want 3)`);
  if (orphans.length > 0) problems.push(`master ${orphans.map((m) => m.port).join(', ')} has no replica`);
  return problems;
}

const isBlank = (view: NodeView): boolean =>
  view.reachable && view.cluster.cluster_known_nodes === '1' && view.cluster.cluster_slots_assigned === '0' && view.keys === 0;

/** Starts one cluster node unless it already runs. It rejoins the cluster through its nodes.conf. */
export async function startClusterNode(port: number): Promise<'running' | 'started'> {
  const name = clusterNodeName(port);
  if (runningProcess(name) || (await pingRedis(port))) return 'running';
  await assertPortFree(port, 'a Redis server');
  const dir = nodeDir(port);
  const conf = path.join(dir, 'redis.conf');
  writeRedisInstanceConfig(conf, { port, dir, includes: ['redis-common.conf', 'cluster.conf'] });
  const spec = { name, command: 'redis-server', args: [conf], cwd: dir };
  try {
    await startAndWait(spec, () => pingRedis(port));
  } catch (error) {
    // A nodes.conf that Redis refuses to load (e.g. truncated by a crash) would block the node
    // forever; move it aside so the node starts blank, and let ensureCluster rebuild the cluster.
    const nodesConf = path.join(dir, 'nodes.conf');
    if (!fs.existsSync(nodesConf)) throw error;
    fs.renameSync(nodesConf, `${nodesConf}.broken-${Date.now()}`);
    await startAndWait(spec, () => pingRedis(port));
  }
  return 'started';
}

export async function stopClusterNode(port: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
  return stopManaged(clusterNodeName(port), { signal });
}

async function createCluster(): Promise<void> {
  const args = ['--cluster', 'create', ...CLUSTER_PORTS.map(hostPort), '--cluster-replicas', '1', '--cluster-yes'];
  // REDISCLI_AUTH instead of -a keeps the password out of `ps` and the warning out of the output.
  await run('redis-cli', args, { env: { ...process.env, REDISCLI_AUTH: redisPassword() }, timeout: 60_000 });
}

/** Empties every node and makes it forget the cluster, so that it can be created again. */
async function resetNodes(): Promise<void> {
  await Promise.all(
    CLUSTER_PORTS.map((port) =>
      withRedis(port, async (redis) => {
        // A replica refuses FLUSHALL (read-only); CLUSTER RESET flushes a replica by itself.
        await redis.call('FLUSHALL').catch(() => undefined);
        await redis.call('CLUSTER', 'RESET', 'HARD');
      }),
    ),
  );
}

async function waitHealthy(timeoutMs: number): Promise<void> {
  let problems: string[] = [];
  try {
    await waitFor('the Redis Cluster to be healthy', async () => (problems = clusterProblems(await inspectCluster())).length === 0, {
      timeoutMs,
      intervalMs: 200,
    });
  } catch (error) {
    throw new Error(`${errorText(error)}: ${problems.join('; ')}`);
  }
}

/**
 * Idempotent: starts the nodes that are not running, creates the cluster on blank nodes, waits
 * for restarted nodes to rejoin, and rebuilds a cluster that stays broken (it only holds cache data).
 */
export async function ensureCluster(log: Logger): Promise<void> {
  const started = await Promise.all(CLUSTER_PORTS.map(startClusterNode));
  const restarted = CLUSTER_PORTS.filter((_, i) => started[i] === 'started');
  if (restarted.length > 0) log(`redis cluster: started ${restarted.join(', ')}`);

  const views = await inspectCluster();
  if (clusterProblems(views).length === 0) return;
  if (views.every(isBlank)) {
    log('redis cluster: creating 3 masters + 3 replicas');
    await createCluster();
    await waitHealthy(20_000);
    return;
  }
  const blank = views.filter(isBlank).map((view) => view.port);
  if (blank.length > 0) {
    // A node that lost its nodes.conf (or was reset) does not find its way back by itself.
    log(`redis cluster: ${blank.join(', ')} no longer part of the cluster; rebuilding it`);
  } else {
    try {
      // Restarted nodes rejoin through gossip, and a failover may be under way: give it a few node timeouts.
      await waitHealthy(10_000);
      return;
    } catch (error) {
      log(`redis cluster: still unhealthy (${errorText(error)}); rebuilding it`);
    }
  }
  await resetNodes();
  await createCluster();
  await waitHealthy(20_000);
  log('redis cluster: rebuilt');
}

export async function clusterChecks(): Promise<Check[]> {
  const views = await inspectCluster();
  const nodeChecks = views.map((view) => {
    const name = clusterNodeName(view.port);
    if (!view.reachable) return check('redis-cluster', name, 'down', view.error ?? 'unreachable', { port: view.port });
    const self = view.nodes?.find((line) => line.flags.includes('myself'));
    const role = view.role === 'slave' ? `replica (link ${view.linkUp ? 'up' : 'down'})` : `master, ${self?.slots ?? 0} slots`;
    const healthy = view.cluster.cluster_state === 'ok' && view.linkUp !== false;
    return check('redis-cluster', name, healthy ? 'ok' : 'degraded', `${role}, cluster_state:${view.cluster.cluster_state}`, {
      port: view.port,
    });
  });
  const problems = clusterProblems(views);
  const masters = views.find((view) => view.nodes)?.nodes?.filter((line) => line.flags.includes('master') && line.slots > 0);
  const summary =
    problems.length === 0
      ? `3 masters (${masters?.map((m) => m.port).sort((a, b) => a - b).join(', ')}) + 3 replicas, ${TOTAL_SLOTS} slots ok`
      : problems.join('; ');
  const reachable = views.some((view) => view.reachable);
  const hint = problems.length > 0 ? 'npm run stack -- up --infra' : undefined;
  return [
    check('redis-cluster', 'redis-cluster', problems.length === 0 ? 'ok' : reachable ? 'degraded' : 'down', summary, hint ? { hint } : {}),
    ...nodeChecks,
  ];
}
