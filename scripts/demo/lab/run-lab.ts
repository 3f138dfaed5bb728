/**
 * Part "wrong on purpose, side by side" of the demo: each /lab variant against its correct twin,
 * measured by the k6 scenarios loadtests/lab-*.js (each writes a `lab` section in its report), and
 * gathered into $CACHELAB_STATE_DIR/reports/lab.json.
 *   lab-stampede      a burst of cold reads, unprotected (/lab) vs protected: origin queries
 *   lab-reservations  naive (/lab) vs WATCH vs Lua: units oversold, reservations per second
 *   lab-views         write-through vs write-behind counters: database statements per view
 *   lab-reads         cache on vs off: p95 latency, database queries per read
 * The write-through variant and both sides of the cache comparison run on twins: the same service
 * started again with one setting changed (twin.ts), so each side's /metrics count only its own traffic.
 */
import { readFileSync, rmSync } from 'node:fs';
import { runLoadTest, type LoadTestRun } from '../../../infra/native/k6';
import { statePath } from '../../../infra/native/paths';
import { HOST, SERVICE_PORTS } from '../../../infra/native/topology';
import type { LabComparison, LabReport, LabRow } from './lab-report';
import { startTwin, type Twin } from './twin';

export const LAB_SCENARIOS = ['lab-stampede', 'lab-reservations', 'lab-views', 'lab-reads'] as const;
export type LabScenario = (typeof LAB_SCENARIOS)[number];

export interface LabSettings {
  /** k6 duration of each variant of the timed comparisons (reservations, views, reads). */
  duration: string;
  /** Concurrent cold reads of the stampede burst. */
  burst: number;
  scenarios: readonly LabScenario[];
  log: (message: string) => void;
}

export interface LabOutcome {
  report: LabReport;
  /** One line per run that failed or measured nothing; the demo exits non-zero when there is any. */
  failures: string[];
}

interface LabSection {
  comparison: string;
  variant: string;
  wrongOnPurpose: boolean;
  figures: Record<string, number | null>;
}

function readLab(path: string): LabSection | null {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { lab?: LabSection }).lab ?? null;
  } catch {
    return null; // no report: k6's messages above say why
  }
}

const stackUrl = (service: keyof typeof SERVICE_PORTS) => `http://${HOST}:${SERVICE_PORTS[service]}`;

class LabRun {
  readonly comparisons: LabComparison[] = [];
  readonly failures: string[] = [];

  constructor(private readonly settings: LabSettings) {}

  /** Runs one variant; resolves its lab section, or null (and a failure) when it did not measure. */
  async variant(scenario: LabScenario, env: Record<string, string>): Promise<LabSection | null> {
    const label = `${scenario} ${env.VARIANT ?? env.STRATEGY}`;
    this.settings.log(`k6: ${label}`);
    // Each variant writes its own report, <scenario>-<variant>.json, beside the others.
    const reportPath = statePath('reports', `${scenario}-${env.VARIANT ?? env.STRATEGY}.json`);
    rmSync(reportPath, { force: true });
    let run: LoadTestRun;
    try {
      run = await runLoadTest(scenario, env);
    } catch (error) {
      this.failures.push(`${label}: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
    const lab = readLab(reportPath);
    if (run.exitCode !== 0 || !lab) {
      this.failures.push(`${label}: k6 exit ${run.exitCode}${lab ? '' : ', no lab figures'} (report ${reportPath})`);
      return null;
    }
    return lab;
  }

  /** Adds a comparison when every variant measured its figure. */
  add(comparison: Omit<LabComparison, 'rows'>, sections: (LabSection | null)[], figure: string, note?: (section: LabSection) => string | undefined): void {
    const rows: LabRow[] = [];
    for (const section of sections) {
      const value = section?.figures[figure];
      if (section === null || value === null || value === undefined || !Number.isFinite(value)) {
        if (section !== null) this.failures.push(`${comparison.id}: ${section.variant} did not measure ${figure}`);
        return;
      }
      const text = note?.(section);
      rows.push({ variant: section.variant, wrongOnPurpose: section.wrongOnPurpose, value, ...(text ? { note: text } : {}) });
    }
    this.comparisons.push({ ...comparison, rows });
  }
}

async function stampede(lab: LabRun, burst: number): Promise<void> {
  const env = (VARIANT: string) => ({ VARIANT, BURST: String(burst), BASE_URL: stackUrl('user') });
  const sections = [await lab.variant('lab-stampede', env('unprotected')), await lab.variant('lab-stampede', env('protected'))];
  lab.add(
    {
      id: 'stampede-origin-queries',
      title: `Stampede: ${burst} concurrent reads of one cold key`,
      metric: 'database queries for the whole burst',
      unit: 'queries',
      lowerIsBetter: true,
    },
    sections,
    'originQueries',
    (s) => (s.variant === 'unprotected' ? 'GET /lab/users/:id/unprotected: every miss queries' : 'GET /users/:id: single flight + Redis lock'),
  );
}

async function reservations(lab: LabRun, duration: string): Promise<void> {
  const sections = [];
  for (const STRATEGY of ['naive', 'watch', 'lua']) {
    sections.push(await lab.variant('lab-reservations', { STRATEGY, DURATION: duration, BASE_URL: stackUrl('inventory') }));
  }
  const sold = (s: LabSection) => `${s.figures.unitsSold} sold, the stock went down by ${Number(s.figures.stock) - Number(s.figures.unitsLeft)}`;
  lab.add(
    { id: 'reservations-oversold', title: 'Reservations: naive vs WATCH vs Lua', metric: 'units sold that the stock never lost', unit: 'units', lowerIsBetter: true },
    sections,
    'unitsOversold',
    sold,
  );
  lab.add(
    { id: 'reservations-throughput', title: 'Reservations: naive vs WATCH vs Lua', metric: 'reservations answered per second, 20 clients on one SKU', unit: 'req/s', lowerIsBetter: false },
    sections,
    'reservationsPerSecond',
    (s) => (s.figures.gaveUp ? `${s.figures.gaveUp} gave up after too many WATCH retries` : undefined),
  );
}

async function views(lab: LabRun, duration: string, twin: Twin | null): Promise<void> {
  const behind = await lab.variant('lab-views', { VARIANT: 'write-behind', DURATION: duration, BASE_URL: stackUrl('inventory') });
  const through = twin ? await lab.variant('lab-views', { VARIANT: 'write-through', DURATION: duration, BASE_URL: twin.url }) : null;
  lab.add(
    { id: 'counters-statements-per-view', title: 'View counters: write-through vs write-behind', metric: 'database statements per view', unit: 'stmt/view', lowerIsBetter: true },
    [through, behind],
    'statementsPerView',
    (s) => `${s.figures.statements} statements for ${s.figures.views} views${s.variant === 'write-through' ? ' (WRITE_BEHIND_ENABLED=false)' : ', flushed in batches'}`,
  );
}

/**
 * Both sides are twins started together, the same code with CACHE_ENABLED=true and false: the
 * stack's own user-service has served every scenario before and would not be a like-for-like
 * process (its heap, its span backlog). The cache-on twin shares the stack's Redis, so its cache
 * is as warm as the scenarios left it.
 */
async function reads(lab: LabRun, duration: string, twins: { on: Twin | null; off: Twin | null }): Promise<void> {
  const off = twins.off ? await lab.variant('lab-reads', { VARIANT: 'cache-off', DURATION: duration, BASE_URL: twins.off.url }) : null;
  const on = twins.on ? await lab.variant('lab-reads', { VARIANT: 'cache-on', DURATION: duration, BASE_URL: twins.on.url }) : null;
  lab.add(
    { id: 'cache-p95', title: 'Profile reads: cache off vs on', metric: 'p95 latency of GET /users/:id', unit: 'ms', lowerIsBetter: true },
    [off, on],
    'p95Ms',
    (s) => `CACHE_ENABLED=${s.variant === 'cache-on'}`,
  );
  lab.add(
    { id: 'cache-db-load', title: 'Profile reads: cache off vs on', metric: 'database queries per read', unit: 'q/read', lowerIsBetter: true },
    [off, on],
    'originQueriesPerRead',
    (s) => `${s.figures.originQueries} queries for ${s.figures.reads} reads`,
  );
}

/** Runs the lab comparisons that `settings.scenarios` names; twins are stopped whatever happens. */
export async function runLab(settings: LabSettings): Promise<LabOutcome> {
  const lab = new LabRun(settings);
  const wants = (scenario: LabScenario) => settings.scenarios.includes(scenario);
  const twins: Twin[] = [];
  const twin = async (wanted: boolean, service: 'user' | 'inventory', env: Record<string, string>): Promise<Twin | null> => {
    if (!wanted) return null;
    try {
      const started = await startTwin(service, env);
      twins.push(started);
      settings.log(`lab twin: ${service}-service with ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')} on ${started.url}`);
      return started;
    } catch (error) {
      lab.failures.push(`lab twin of ${service}: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  };
  try {
    // Both twins boot together, before any measurement: a booting service would take CPU from
    // the variants being measured on a small machine.
    const [inventoryTwin, cacheOff, cacheOn] = await Promise.all([
      twin(wants('lab-views'), 'inventory', { WRITE_BEHIND_ENABLED: 'false', WORKER_ENABLED: 'false' }),
      twin(wants('lab-reads'), 'user', { CACHE_ENABLED: 'false' }),
      twin(wants('lab-reads'), 'user', { CACHE_ENABLED: 'true' }),
    ]);
    if (wants('lab-stampede')) await stampede(lab, settings.burst);
    if (wants('lab-reservations')) await reservations(lab, settings.duration);
    if (wants('lab-views')) await views(lab, settings.duration, inventoryTwin);
    if (wants('lab-reads')) await reads(lab, settings.duration, { on: cacheOn, off: cacheOff });
  } finally {
    await Promise.all(twins.map((t) => t.stop()));
  }
  return { report: { generatedAt: new Date().toISOString(), comparisons: lab.comparisons }, failures: lab.failures };
}

export const labReportPath = (): string => statePath('reports', 'lab.json');
