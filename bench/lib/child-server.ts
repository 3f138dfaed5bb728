import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { serviceDir } from '../../infra/native/services';
import type { ServiceName } from '../../infra/native/topology';
import { waitFor } from '../../infra/native/wait';

export interface ServerSpec {
  /** Names the log file and the CPU profile. */
  name: string;
  /** A TypeScript entry point, run as `node --import tsx <entry>` from `cwd`. */
  entry: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  port: number;
  /** The path that answers 200 once the server can serve (e.g. `/readyz`). */
  readyPath: string;
  /** Where the server's output goes. */
  logFile: string;
  /** Write a V8 CPU profile into this folder when the server exits. */
  cpuProfileDir?: string;
}

export interface ChildServer {
  name: string;
  origin: string;
  pid: number;
  /** From spawn to ready: module loading and compiling, which a CPU profile should leave out. */
  startupMs: number;
  /** CPU seconds (user + system) the process has used so far. */
  cpuSeconds(): number;
  /** SIGTERM (graceful: in-flight requests finish, telemetry flushes, the CPU profile is written), SIGKILL after 15 s. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const running = new Set<ChildProcess>();

// A bench that dies (an exception, a signal) must not leave servers behind on their ports.
const killAll = () => {
  for (const child of running) child.kill('SIGKILL');
};
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(128 + os.constants.signals[signal]);
  });
}

/** A port nobody listens on now (from the kernel's ephemeral range, so never one of the stack's). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// /proc/<pid>/stat counts CPU time in clock ticks: USER_HZ, 100 on every Linux build that matters.
const TICKS_PER_SECOND = 100;

function cpuSecondsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
}

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function answers200(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  return response.status === 200;
}

function keepMainThreadProfile(dir: string, file: string): void {
  if (!fs.existsSync(dir)) return;
  const profiles = fs.readdirSync(dir).map((name) => path.join(dir, name));
  const largest = profiles.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
  if (largest) fs.renameSync(largest, file);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Starts a server under test as a child process and resolves once `readyPath` answers 200. */
export async function startServer(spec: ServerSpec): Promise<ChildServer> {
  fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
  const log = fs.openSync(spec.logFile, 'w');
  // Each thread writes its own profile (tsx's loader runs in a worker): a directory per server,
  // and the main thread's profile (the largest) becomes `<cpuProfileDir>/<name>.cpuprofile` on stop.
  const threadProfiles = spec.cpuProfileDir ? path.join(spec.cpuProfileDir, `${spec.name}.threads`) : undefined;
  if (threadProfiles) fs.rmSync(threadProfiles, { recursive: true, force: true });
  const profiling = threadProfiles ? ['--cpu-prof', `--cpu-prof-dir=${threadProfiles}`] : [];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...profiling, '--import', 'tsx', spec.entry], {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  running.add(child);
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `${spec.name} exited with ${signal ?? `code ${code}`}`;
      running.delete(child);
      resolve();
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${spec.name}`);
  const pid = child.pid;
  const origin = `http://${HOST}:${spec.port}`;

  try {
    await waitFor(`${spec.name} on ${origin}${spec.readyPath}`, () => answers200(`${origin}${spec.readyPath}`), {
      timeoutMs: 60_000,
      intervalMs: 200,
      abort: () => exited,
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n--- ${spec.logFile}\n${tail(spec.logFile)}`);
  }

  return {
    name: spec.name,
    origin,
    pid,
    startupMs: performance.now() - spawnedAt,
    cpuSeconds: () => cpuSecondsOf(pid),
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
      if (threadProfiles && spec.cpuProfileDir) keepMainThreadProfile(threadProfiles, path.join(spec.cpuProfileDir, `${spec.name}.cpuprofile`));
    },
  };
}

/**
 * A service of `services/` as `stack up` runs it (`src/main.ts`, ready once `/readyz` answers
 * 200) on a free port, under the name `name`: `env(port)` is its environment, `workDir(name)` its
 * own folder (emptied first: its state, such as its span file, starts fresh) and
 * `workDir('logs', '<name>.log')` its log.
 */
export async function startService(
  service: ServiceName,
  name: string,
  env: (port: number) => NodeJS.ProcessEnv,
  workDir: (...parts: string[]) => string,
  options: Pick<ServerSpec, 'cpuProfileDir'> = {},
): Promise<ChildServer> {
  const port = await freePort();
  fs.rmSync(workDir(name), { recursive: true, force: true });
  return startServer({
    name,
    entry: 'src/main.ts',
    cwd: serviceDir(service),
    env: env(port),
    port,
    readyPath: '/readyz',
    logFile: workDir('logs', `${name}.log`),
    ...options,
  });
}
