/**
 * `npm run demo`: the whole lab in one command.
 *   1. start the native stack (Redis Cluster, Sentinel group, Postgres, Jaeger if built, services)
 *   2. seed every service's database
 *   3. drive every pattern with its k6 scenario
 *   4. print the pattern comparison, and where the traces and reports are
 *
 * Knobs: DEMO_DURATION (k6 duration per scenario, default 20s), DEMO_SCENARIOS (comma list),
 * REDIS_MODE (cluster by default, or sentinel).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { availableServices, JAEGER_UI_PORT, SERVICE_PORTS, serviceEnv, up, type ServiceName } from '../infra/native';
import { ensureK6, runLoadTest, type LoadTestRun } from '../infra/native/k6';
import { stateDir } from '../infra/native/paths';
import { jaegerRunning } from '../infra/native/jaeger';
import { cacheCounters, servedFromCache } from './demo/metrics';

const root = join(__dirname, '..');
const say = (message: string) => console.log(`\x1b[36m[demo]\x1b[0m ${message}`);
const pct = (value: number | null | undefined) => (value === null || value === undefined ? '   -  ' : `${(value * 100).toFixed(1).padStart(5)}%`);
const num = (value: number | null | undefined, digits = 1) => (value === null || value === undefined ? '-' : value.toFixed(digits));

/** Which k6 scenario exercises which service; a scenario runs when its file and service exist. */
const SCENARIOS: { scenario: string; service: ServiceName; env?: Record<string, string> }[] = [
  { scenario: 'user-profiles', service: 'user' },
  { scenario: 'catalog', service: 'catalog' },
  // 200 buyers/s: a 2-core machine also runs k6 and all three services (RATE=400 for more).
  { scenario: 'flash-sale', service: 'inventory', env: { RATE: process.env.FLASH_SALE_RATE ?? '200' } },
  { scenario: 'counters', service: 'inventory' },
  { scenario: 'storefront', service: 'catalog' },
];

function seed(service: ServiceName): void {
  const script = join(root, 'services', service, 'scripts', 'seed.ts');
  if (!existsSync(script)) return;
  say(`seeding ${service}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', script], {
    cwd: join(root, 'services', service),
    env: { ...process.env, ...serviceEnv(service) },
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`seeding ${service} failed (exit ${result.status})`);
}

async function main(): Promise<number> {
  say('starting the native stack');
  const { status, errors } = await up({ log: say });
  if (errors.length > 0 || !status.ok) {
    for (const check of status.checks.filter((c) => !c.ok)) say(`not healthy: ${check.name}: ${check.detail}`);
    for (const error of errors) say(error);
    return 1;
  }
  const services = availableServices();
  for (const service of services) seed(service);

  await ensureK6();
  const wanted = process.env.DEMO_SCENARIOS?.split(',');
  const duration = process.env.DEMO_DURATION ?? '20s';
  const runs: { scenario: string; run: LoadTestRun }[] = [];
  for (const { scenario, service, env } of SCENARIOS) {
    if (wanted && !wanted.includes(scenario)) continue;
    if (!services.includes(service) || !existsSync(join(root, 'loadtests', `${scenario}.js`))) continue;
    say(`k6: ${scenario} for ${duration}`);
    runs.push({ scenario, run: await runLoadTest(scenario, { DURATION: duration, BASE_URL: `http://127.0.0.1:${SERVICE_PORTS[service]}`, ...env }) });
  }

  console.log('\nLoad tests (k6)');
  console.log('scenario         route                          req/s   p95 ms  served from cache  thresholds');
  for (const { scenario, run } of runs) {
    const report = run.report;
    if (!report) {
      console.log(`${scenario.padEnd(16)} (no report: k6 exit ${run.exitCode})`);
      continue;
    }
    console.log(
      `${scenario.padEnd(16)} ${'(all)'.padEnd(30)} ${num(report.requests.perSecond).padStart(6)} ${num(report.latencyMs.all?.p95).padStart(8)}  ${pct(report.cache.hitRatio).padStart(17)}  ${report.passed ? 'passed' : 'FAILED'}`,
    );
    for (const [route, cache] of Object.entries(report.cache.byRoute)) {
      console.log(`${''.padEnd(16)} ${route.padEnd(30)} ${''.padStart(6)} ${num(report.latencyMs.byRoute[route]?.p95).padStart(8)}  ${pct(cache.hitRatio).padStart(17)}`);
    }
  }

  console.log('\nPatterns (from each service\'s /metrics since it started)');
  console.log('service     pattern                      hit   miss  stale   neg  coal  bypass  served from cache  db queries');
  for (const service of services) {
    const { patterns, originQueries } = await cacheCounters(service, `http://127.0.0.1:${SERVICE_PORTS[service]}`);
    patterns.forEach((row, index) => {
      const r = (key: string) => String(Math.round(row.results[key] ?? 0)).padStart(5);
      console.log(
        `${service.padEnd(11)} ${row.pattern.padEnd(26)} ${r('hit')} ${r('miss')} ${r('stale')} ${r('negative')} ${r('coalesced')} ${r('bypass').padStart(7)}  ${pct(servedFromCache(row.results)).padStart(17)}  ${index === 0 ? String(Math.round(originQueries)).padStart(10) : ''}`,
      );
    });
  }

  const traces = jaegerRunning() ? `Jaeger UI at http://127.0.0.1:${JAEGER_UI_PORT}` : `span files (JSON lines) in ${join(stateDir(), 'traces')}/`;
  console.log(`\nTraces: ${traces} (spans carry cache.pattern and cache.result)`);
  console.log(`Reports: ${join(stateDir(), 'reports')}/<scenario>.json   Logs: ${join(stateDir(), 'logs')}/`);
  console.log('The stack keeps running: `npm run stack -- status`, `npm run stack -- down`.');
  return runs.every(({ run }) => run.exitCode === 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
