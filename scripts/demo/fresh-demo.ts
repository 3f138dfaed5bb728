/**
 * `npm test`'s first step: the demo's own path on a fresh state folder, as a new user meets it.
 * A temporary CACHELAB_STATE_DIR means a new Postgres cluster (empty databases), new Redis
 * servers (empty) and no pid file of an earlier run; the stack it starts is taken down and the
 * folder removed before the other tests start their own infrastructure from `.cachelab`.
 *
 * The stack's ports are fixed (docs/architecture.md), so "fresh" is only possible while nothing
 * else listens on them. When something does (a developer's running stack), the step cannot start
 * from empty servers: it fails under CI (`CI` set, where the clone is fresh anyway) and is
 * reported as skipped elsewhere, saying what to stop.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tcpOpen } from '../../infra/native/net';
import { repoRoot } from '../../infra/native/paths';
import { CLUSTER_PORTS, POSTGRES_PORT, SENTINEL_GROUP_PORTS, SENTINEL_PORTS, SERVICE_PORTS, ZIPKIN_PORT } from '../../infra/native/topology';

/**
 * A short run of every scenario: a few seconds each checks the path (stack, seed, every k6
 * scenario, the lab, the comparison), not the latency of cold caches on a busy CI machine, so the
 * p95 thresholds are raised; every other threshold (no oversell, every view persisted, failed
 * requests) stays as the demo has it.
 */
export const SHORT_RUN: Record<string, string> = {
  DEMO_DURATION: '3s',
  DEMO_WARMUP: '1s',
  DEMO_LAB_DURATION: '2s',
  DEMO_BURST: '50',
  P95_MS: '2000',
};

const STACK_PORTS = [...CLUSTER_PORTS, ...SENTINEL_GROUP_PORTS, ...SENTINEL_PORTS, POSTGRES_PORT, ZIPKIN_PORT, ...Object.values(SERVICE_PORTS)];

export type FreshDemoOutcome = { result: 'passed' | 'failed'; seconds: number; detail?: string } | { result: 'skipped'; detail: string };

function node(script: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/** The stack ports something already listens on. */
export async function busyStackPorts(): Promise<number[]> {
  const open = await Promise.all(STACK_PORTS.map((port) => tcpOpen(port, 300)));
  return STACK_PORTS.filter((_, i) => open[i]);
}

export async function runFreshDemo(log: (message: string) => void): Promise<FreshDemoOutcome> {
  const busy = await busyStackPorts();
  if (busy.length > 0) {
    const detail = `ports ${busy.join(', ')} are in use (a running stack?): the demo cannot start from empty servers; stop it (npm run stack -- down) to include this step`;
    if (process.env.CI) return { result: 'failed', seconds: 0, detail };
    return { result: 'skipped', detail };
  }
  const state = mkdtempSync(join(tmpdir(), 'cachelab-demo-'));
  // Readable by the postgres user, so that (as root) its data stays in this folder and goes with
  // it, rather than in /var/lib/cachelab/<hash> (infra/native/postgres.ts).
  chmodSync(state, 0o755);
  const env = { ...SHORT_RUN, CACHELAB_STATE_DIR: state };
  const started = Date.now();
  log(`npm run demo on a fresh state folder ${state} (${Object.entries(SHORT_RUN).map(([k, v]) => `${k}=${v}`).join(' ')})`);
  try {
    const code = await node('scripts/demo.ts', [], env);
    const seconds = (Date.now() - started) / 1000;
    return code === 0 ? { result: 'passed', seconds } : { result: 'failed', seconds, detail: `npm run demo exited with ${code}` };
  } finally {
    log('taking the fresh stack down');
    const down = await node('scripts/stack.ts', ['down'], env).catch(() => 1);
    if (down === 0) rmSync(state, { recursive: true, force: true });
    else log(`stack down exited with ${down}; ${state} left in place`);
  }
}
