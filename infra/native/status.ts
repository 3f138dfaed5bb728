import type { Check } from './checks';
import { jaegerChecks } from './jaeger';
import { stateDir } from './paths';
import { zipkinChecks } from './zipkin';
import { postgresChecks } from './postgres';
import { clusterChecks } from './redis-cluster';
import { sentinelChecks } from './sentinel-group';
import { availableServices, serviceChecks } from './services';
import { readStackState, type Scope } from './stack-state';

export interface StackStatus {
  /** True only when every expected part is healthy (a skipped optional part counts as healthy). */
  ok: boolean;
  scope: Scope;
  /** REDIS_MODE the services were started with by the last `up`. */
  mode?: string;
  stateDir: string;
  checkedAt: string;
  checks: Check[];
}

/**
 * Checks for real: PING with the password, cluster_state and slot coverage, what each sentinel
 * says the master is, replica links, a Postgres query, each service's /readyz. `scope` defaults
 * to what the last `up` started (everything when nothing is recorded).
 */
export async function stackStatus({ scope }: { scope?: Scope } = {}): Promise<StackStatus> {
  const state = readStackState();
  const effective = scope ?? state?.scope ?? 'all';
  const groups = [clusterChecks(), sentinelChecks(), postgresChecks()];
  if (effective === 'all') groups.push(zipkinChecks(), jaegerChecks(), serviceChecks(availableServices()));
  const checks = (await Promise.all(groups)).flat();
  return {
    ok: checks.every((c) => c.ok),
    scope: effective,
    ...(state?.mode && effective === 'all' ? { mode: state.mode } : {}),
    stateDir: stateDir(),
    checkedAt: new Date().toISOString(),
    checks,
  };
}

const COLORS: Record<Check['state'], string> = { ok: '32', degraded: '33', down: '31', skipped: '90' };

export function formatStatus(status: StackStatus, color = process.stdout.isTTY === true): string {
  const paint = (code: string, text: string): string => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const mode = status.mode ? `, services in REDIS_MODE=${status.mode}` : '';
  const lines = [`cachelab stack (scope: ${status.scope}${mode}; state: ${status.stateDir})`];
  for (const c of status.checks) {
    const nested = c.name !== c.component && c.component !== 'service';
    const where = [c.port ? `:${c.port}` : '', c.pid ? `pid ${c.pid}` : ''].filter(Boolean).join(' ');
    const label = (nested ? `  ${c.name}` : c.name).padEnd(18);
    lines.push(`  ${paint(COLORS[c.state], c.state.padEnd(9))}${label}${where.padEnd(17)}${c.detail}`);
    if (c.hint) lines.push(`  ${' '.repeat(27)}${paint('90', `hint: ${c.hint}`)}`);
  }
  const bad = status.checks.filter((c) => !c.ok).length;
  lines.push(status.ok ? paint('32', 'healthy') : paint('31', `NOT healthy: ${bad} check${bad === 1 ? '' : 's'} failing`));
  return lines.join('\n');
}
