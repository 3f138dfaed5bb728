import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { check, errorText, type Check } from './checks';
import type { Logger } from './log';
import { assertPortFree } from './net';
import { infraDir, stateDir, statePath } from './paths';
import { runningProcess, startAndWait, stopManaged } from './processes';
import { DATABASES, HOST, POSTGRES_PASSWORD, POSTGRES_PORT, POSTGRES_PROCESS, POSTGRES_USER } from './topology';

const run = promisify(execFile);

/** Every folder from / down to `dir` lets other users through (the postgres user needs that). */
function traversableByOthers(dir: string): boolean {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    try {
      if ((fs.statSync(current).mode & 0o001) === 0) return false;
    } catch {
      // not made yet: its parent decides
    }
    if (current === path.dirname(current)) return true;
  }
}

/**
 * The data lives in the state folder, unless we are root and the postgres user could not reach it
 * (a checkout under /root): then in /var/lib/cachelab/<hash of the state folder>/postgres.
 */
const pgRoot = (): string => {
  const inState = statePath('postgres');
  if (process.getuid?.() !== 0 || traversableByOthers(stateDir())) return inState;
  const id = createHash('sha256').update(stateDir()).digest('hex').slice(0, 12);
  return path.join('/var/lib/cachelab', id, 'postgres');
};
const dataDir = (): string => path.join(pgRoot(), 'data');
const socketDir = (): string => path.join(pgRoot(), 'run');

/** The newest Debian-packaged Postgres (/usr/lib/postgresql/<ver>/bin), else whatever `pg_config` reports. */
export function postgresBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base)
    ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb')))
    : [];
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  if (versions[0]) return path.join(base, versions[0], 'bin');
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('PostgreSQL is not installed (Debian: apt-get install postgresql)');
  }
}

const bin = (tool: string): string => path.join(postgresBin(), tool);

/**
 * Postgres refuses to run as root: then it runs as the `postgres` system user (created when
 * missing), which owns the data dir. Anyone else runs it as themselves.
 */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

function ownedDir(dir: string, user: { uid: number; gid: number } | undefined): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (user) fs.chownSync(dir, user.uid, user.gid);
}

/** The postgres user must be able to walk down to the data dir (a repo under /root is not reachable). */
function assertReachable(user: { uid: number; gid: number } | undefined): void {
  if (!user) return;
  try {
    execFileSync('/bin/sh', ['-c', 'cd "$1"', 'sh', pgRoot()], { ...user, stdio: 'ignore' });
  } catch {
    throw new Error(`the postgres user cannot reach ${pgRoot()}: set CACHELAB_STATE_DIR to a directory outside private home folders`);
  }
}

function writeOwned(file: string, text: string, user: { uid: number; gid: number } | undefined): void {
  fs.writeFileSync(file, text, { mode: 0o600 });
  if (user) fs.chownSync(file, user.uid, user.gid);
}

/** initdb into a temporary dir renamed into place at the end, so an interrupted run leaves nothing half made. */
async function initDataDir(user: { uid: number; gid: number } | undefined): Promise<void> {
  ownedDir(pgRoot(), user);
  const tmp = path.join(pgRoot(), `data.initdb-${process.pid}`);
  const pwfile = path.join(pgRoot(), `.pwfile-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  writeOwned(pwfile, `${POSTGRES_PASSWORD}\n`, user);
  try {
    const args = ['-D', tmp, '-U', POSTGRES_USER, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '--encoding=UTF8', '--no-locale'];
    await run(bin('initdb'), args, { cwd: pgRoot(), ...(user ?? {}) }).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`initdb failed: ${error.stderr || error.message}`);
    });
    // The tuned settings (copied in on each start) and the per-instance ones override the defaults.
    fs.appendFileSync(path.join(tmp, 'postgresql.conf'), "\ninclude_if_exists 'cachelab.conf'\ninclude_if_exists 'cachelab-instance.conf'\n");
    fs.renameSync(tmp, dataDir());
  } finally {
    fs.rmSync(pwfile, { force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function writeConfig(user: { uid: number; gid: number } | undefined): void {
  const pgQuote = (value: string): string => `'${value.replaceAll("'", "''")}'`;
  writeOwned(path.join(dataDir(), 'cachelab.conf'), fs.readFileSync(path.join(infraDir, 'postgres', 'postgresql.conf'), 'utf8'), user);
  const instance = [
    '# Generated by infra/native/postgres.ts on every start.',
    `port = ${POSTGRES_PORT}`,
    `listen_addresses = ${pgQuote(HOST)}`,
    `unix_socket_directories = ${pgQuote(socketDir())}`,
    'unix_socket_permissions = 0700',
  ];
  writeOwned(path.join(dataDir(), 'cachelab-instance.conf'), `${instance.join('\n')}\n`, user);
}

export async function postgresReady(): Promise<boolean> {
  try {
    await run(bin('pg_isready'), ['-q', '-h', HOST, '-p', String(POSTGRES_PORT), '-t', '1']);
    return true;
  } catch {
    return false;
  }
}

/** psql over TCP with the password, the way the services connect. */
async function psql(args: string[], database = 'postgres'): Promise<string> {
  const { stdout } = await run(
    bin('psql'),
    ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', HOST, '-p', String(POSTGRES_PORT), '-U', POSTGRES_USER, '-d', database, ...args],
    { env: { ...process.env, PGPASSWORD: POSTGRES_PASSWORD, PGCONNECT_TIMEOUT: '3' }, timeout: 60_000 },
  );
  return stdout;
}

export async function startPostgres(log: Logger): Promise<'running' | 'started'> {
  if (runningProcess(POSTGRES_PROCESS) || (await postgresReady())) return 'running';
  await assertPortFree(POSTGRES_PORT, 'Postgres');
  const user = postgresUser();
  fs.mkdirSync(path.dirname(pgRoot()), { recursive: true, mode: 0o755 });
  ownedDir(pgRoot(), user);
  assertReachable(user);
  if (!fs.existsSync(path.join(dataDir(), 'PG_VERSION'))) {
    log(`postgres: initdb ${dataDir()}`);
    await initDataDir(user);
  }
  ownedDir(socketDir(), user);
  writeConfig(user);
  const spec = { name: POSTGRES_PROCESS, command: bin('postgres'), args: ['-D', dataDir()], cwd: pgRoot(), ...(user ? { runAs: user } : {}) };
  await startAndWait(spec, postgresReady, 60_000);
  return 'started';
}

/** SIGINT is Postgres' "fast" shutdown: SIGTERM ("smart") would wait for every client to leave. */
export const stopPostgres = (signal: NodeJS.Signals = 'SIGINT'): Promise<boolean> =>
  stopManaged(POSTGRES_PROCESS, { signal, timeoutMs: 20_000 });

/** Idempotent: initdb on first use, start, and create the databases that are missing. */
export async function ensurePostgres(log: Logger): Promise<void> {
  if ((await startPostgres(log)) === 'started') log(`postgres: started on ${POSTGRES_PORT}`);
  await psql(['-f', path.join(infraDir, 'postgres', 'init', '01-databases.sql')]);
}

export async function postgresChecks(): Promise<Check[]> {
  const opts = { port: POSTGRES_PORT, processName: POSTGRES_PROCESS };
  if (!(await postgresReady())) {
    return [check('postgres', POSTGRES_PROCESS, 'down', 'pg_isready: no answer', { ...opts, hint: 'npm run stack -- up --infra' })];
  }
  try {
    const names = (await psql(['-At', '-c', 'SELECT datname FROM pg_database'])).split('\n');
    const missing = DATABASES.filter((db) => !names.includes(db));
    if (missing.length > 0) return [check('postgres', POSTGRES_PROCESS, 'degraded', `missing databases: ${missing.join(', ')}`, opts)];
    return [check('postgres', POSTGRES_PROCESS, 'ok', `accepting connections, ${DATABASES.length} databases`, opts)];
  } catch (error) {
    return [check('postgres', POSTGRES_PROCESS, 'degraded', `query failed: ${errorText(error)}`, opts)];
  }
}
