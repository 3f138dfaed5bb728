/**
 * `npm test`: every test of every workspace, against real servers.
 *
 *   0. the demo's own path on a fresh state folder (scripts/demo/fresh-demo.ts): stack up, seed,
 *      a short run of every k6 scenario and lab comparison, the comparison; its exit code is one test
 *   1. start the infrastructure the tests need (Redis Cluster, Sentinel group, Postgres)
 *   2. type-check every workspace (turbo)
 *   3. run every workspace's tests once per Redis topology: REDIS_MODE=cluster, then sentinel
 *   4. print one closing line: "N passed, N failed"
 *
 * Usage: npm test [-- --mode cluster|sentinel] [-- --filter @cachelab/cache] [-- --skip-demo | --demo-only]
 * (the demo step runs when no --filter is given)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureInfra } from '../infra/native';
import { runFreshDemo } from './demo/fresh-demo';

const root = join(__dirname, '..');
const { values: args } = parseArgs({
  options: { mode: { type: 'string', multiple: true }, filter: { type: 'string', multiple: true }, 'skip-typecheck': { type: 'boolean' },
    'skip-demo': { type: 'boolean' }, 'demo-only': { type: 'boolean' } },
});
const modes = args.mode ?? ['cluster', 'sentinel'];

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}
const total: Tally = { passed: 0, failed: 0, skipped: 0 };
const problems: string[] = [];
/** Each failed test with the first lines of its error, repeated at the end where a log's tail shows it. */
const failures: string[] = [];

const say = (message: string) => console.log(`\x1b[36m[test]\x1b[0m ${message}`);

function run(command: string, argv: string[], env: Record<string, string> = {}): number {
  const result = spawnSync(command, argv, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

/** Vitest's JSON reports, one per package and mode, written next to each package. */
function collectVitest(mode: string): void {
  for (const group of ['shared', 'services', 'tools']) {
    for (const name of readdirSync(join(root, group))) {
      const report = join(root, group, name, 'test-results', `${mode}.json`);
      if (!existsSync(report)) continue;
      const json = JSON.parse(readFileSync(report, 'utf8')) as {
        numPassedTests: number;
        numFailedTests: number;
        numPendingTests: number;
        numTodoTests: number;
        numFailedTestSuites: number;
        testResults: { name: string; message?: string; assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[];
      };
      total.passed += json.numPassedTests;
      total.failed += json.numFailedTests + (json.numFailedTests === 0 ? json.numFailedTestSuites : 0);
      total.skipped += json.numPendingTests + json.numTodoTests;
      if (json.numFailedTests > 0 || json.numFailedTestSuites > 0) problems.push(`${group}/${name} (${mode})`);
      for (const file of json.testResults) {
        const where = `${group}/${name} (${mode}) ${file.name.slice(root.length + 1)}`;
        const failed = file.assertionResults.filter((test) => test.status === 'failed');
        for (const test of failed) failures.push(`${where} > ${test.fullName}\n${firstLines(test.failureMessages.join('\n'))}`);
        if (failed.length === 0 && file.message) failures.push(`${where}\n${firstLines(file.message)}`);
      }
    }
  }
}

const firstLines = (text: string, count = 12) => text.split('\n').slice(0, count).map((line) => `    ${line}`).join('\n');

function clearReports(): void {
  for (const group of ['shared', 'services', 'tools']) {
    for (const name of readdirSync(join(root, group))) rmSync(join(root, group, name, 'test-results'), { recursive: true, force: true });
  }
}

/** Step 0: the demo on a fresh state folder, before the tests' own infrastructure starts. */
async function freshDemo(): Promise<void> {
  const outcome = await runFreshDemo(say);
  if (outcome.result === 'skipped') {
    total.skipped += 1;
    say(`\x1b[33mdemo on a fresh state folder SKIPPED\x1b[0m: ${outcome.detail}`);
    return;
  }
  if (outcome.result === 'passed') total.passed += 1;
  else {
    total.failed += 1;
    problems.push(`demo on a fresh state folder (${outcome.detail})`);
  }
  say(`demo on a fresh state folder: ${outcome.result} in ${outcome.seconds.toFixed(0)} s${outcome.detail ? ` (${outcome.detail})` : ''}`);
}

/** node:test files outside the workspaces; each file's pass and fail counts join the total. */
function nodeTests(label: string, pattern: string, nodeOptions: string[] = []): void {
  say(`${label} (node:test)`);
  // Node's options, then --test, then the files: a file named first would be run as the script.
  const result = spawnSync(process.execPath, [...nodeOptions, '--test', '--test-reporter=tap', pattern], { cwd: root, encoding: 'utf8' });
  const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(result.stdout)?.[1] ?? 0);
  total.passed += count('pass');
  total.failed += count('fail') + (result.status === 0 ? 0 : count('fail') === 0 ? 1 : 0);
  if (result.status !== 0) {
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    problems.push(label);
  }
  say(`${label}: ${count('pass')} passed, ${count('fail')} failed`);
}

function close(): number {
  for (const failure of failures) say(`\x1b[31mFAILED\x1b[0m ${failure}`);
  if (problems.length > 0) say(`failures in: ${problems.join(', ')}`);
  console.log(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  return total.failed === 0 && total.passed > 0 ? 0 : 1;
}

async function main(): Promise<number> {
  if (!args.filter && !args['skip-demo']) await freshDemo();
  if (args['demo-only']) return close();

  say('starting the infrastructure (Redis Cluster, Sentinel group, Postgres)');
  await ensureInfra({ log: (message) => say(message) });

  if (!args['skip-typecheck']) {
    say('type-checking every workspace, the scripts and the native launcher');
    const checks = [
      ['turbo', 'run', 'typecheck', '--output-logs=errors-only'],
      ['tsc', '-p', 'tsconfig.json'],
      ['tsc', '-p', 'infra/native/tsconfig.json'],
    ];
    for (const check of checks) {
      if (run('npx', check) !== 0) {
        problems.push(`typecheck (${check.join(' ')})`);
        total.failed += 1;
      }
    }
  }

  const filters = (args.filter ?? []).flatMap((filter) => ['--filter', filter]);
  clearReports();
  for (const mode of modes) {
    say(`running the tests with REDIS_MODE=${mode}`);
    mkdirSync(join(root, '.cachelab'), { recursive: true });
    run(
      'npx',
      ['turbo', 'run', 'test', '--concurrency=1', '--continue', '--env-mode=loose', ...filters, '--',
        '--reporter=default', '--reporter=json', `--outputFile.json=test-results/${mode}.json`],
      { REDIS_MODE: mode },
    );
    collectVitest(mode);
  }

  if (!args.filter) {
    nodeTests('loadtests/lib', 'loadtests/**/*.test.mjs');
    nodeTests('scripts (demo helpers)', 'scripts/**/*.test.ts', ['--import', 'tsx']);
  }

  return close();
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
