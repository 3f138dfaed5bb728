import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { logFile, pidFile, statePath } from './paths';
import { sleep, waitFor } from './wait';

/** How to start one long-running process of the stack. */
export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as another user (Postgres refuses to run as root). */
  runAs?: { uid: number; gid: number };
  /** Free-form facts recorded in the pid file (e.g. the Redis mode a service was started with). */
  meta?: Record<string, string>;
}

/** What `<state>/pids/<name>.pid` holds: enough to tell our process from a recycled pid. */
export interface PidRecord {
  pid: number;
  /** Kernel start time of the process (/proc/<pid>/stat field 22); null where /proc is missing. */
  startTime: string | null;
  command: string;
  startedAt: string;
  meta?: Record<string, string>;
}

const MAX_LOG_BYTES = 20 * 1024 * 1024;

function procStat(pid: number): { state: string; startTime: string } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', startTime: fields[19] ?? '' };
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else, which still means "alive".
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return procStat(pid)?.state !== 'Z';
}

/** True when `record` still describes a live process, and the same one (not a recycled pid). */
function isSameProcess(record: PidRecord): boolean {
  if (!isAlive(record.pid)) return false;
  if (record.startTime === null) return true;
  const stat = procStat(record.pid);
  return stat === null || stat.startTime === record.startTime;
}

export function readPidRecord(name: string): PidRecord | null {
  try {
    return JSON.parse(fs.readFileSync(pidFile(name), 'utf8')) as PidRecord;
  } catch {
    return null;
  }
}

/** The process `up` started under this name, if it is still running; stale pid files are removed. */
export function runningProcess(name: string): PidRecord | null {
  const record = readPidRecord(name);
  if (!record) return null;
  if (isSameProcess(record)) return record;
  fs.rmSync(pidFile(name), { force: true });
  return null;
}

export function writePidRecord(name: string, pid: number, command: string, meta?: Record<string, string>): PidRecord {
  const record: PidRecord = {
    pid,
    startTime: procStat(pid)?.startTime ?? null,
    command,
    startedAt: new Date().toISOString(),
    ...(meta ? { meta } : {}),
  };
  fs.mkdirSync(statePath('pids'), { recursive: true });
  fs.writeFileSync(pidFile(name), `${JSON.stringify(record)}\n`);
  return record;
}

function openLog(name: string): number {
  const file = logFile(name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    if (fs.statSync(file).size > MAX_LOG_BYTES) fs.renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
  const fd = fs.openSync(file, 'a');
  fs.writeSync(fd, `\n--- ${new Date().toISOString()} starting ${name}\n`);
  return fd;
}

export function tailLog(name: string, lines = 15): string {
  try {
    const text = fs.readFileSync(logFile(name), 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface Started {
  record: PidRecord;
  /** Set when the process has exited (so a readiness wait can stop early). */
  exitReason: () => string | undefined;
}

/**
 * Starts a process detached from us (own session, output appended to <state>/logs/<name>.log),
 * so that it outlives the CLI or test worker that started it, and records its pid file.
 */
export function spawnDetached(spec: ProcessSpec): Started {
  const fd = openLog(spec.name);
  let exitReason: string | undefined;
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(spec.runAs ? { uid: spec.runAs.uid, gid: spec.runAs.gid } : {}),
    });
    child.on('error', (error) => (exitReason = `could not start ${spec.command}: ${error.message}`));
    child.on('exit', (code, signal) => (exitReason = `exited with ${signal ?? `code ${code}`}`));
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${spec.command} for ${spec.name}`);
    const record = writePidRecord(spec.name, child.pid, [spec.command, ...spec.args].join(' '), spec.meta);
    return { record, exitReason: () => exitReason && `${spec.name} ${exitReason}; log tail:\n${tailLog(spec.name)}` };
  } finally {
    fs.closeSync(fd);
  }
}

/** Spawns the process, then waits until `ready` says yes; fails early (with the log) if it dies. */
export async function startAndWait(
  spec: ProcessSpec,
  ready: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<PidRecord> {
  const started = spawnDetached(spec);
  await waitFor(`${spec.name} to be ready`, ready, { timeoutMs, abort: started.exitReason });
  return started.record;
}

export interface StopOptions {
  /** The polite signal; SIGKILL follows when the process outlives `timeoutMs`. */
  signal?: NodeJS.Signals;
  timeoutMs?: number;
}

/**
 * Stops a process that `up` started, identified by its pid file. Never touches a pid that is no
 * longer the process we started. Resolves to false when there was nothing to stop.
 */
export async function stopManaged(name: string, { signal = 'SIGTERM', timeoutMs = 10_000 }: StopOptions = {}): Promise<boolean> {
  const record = runningProcess(name);
  if (!record) return false;
  const gone = (): boolean => !isSameProcess(record);
  try {
    process.kill(record.pid, signal);
    const deadline = Date.now() + timeoutMs;
    while (!gone() && Date.now() < deadline) await sleep(50);
    if (!gone()) {
      process.kill(record.pid, 'SIGKILL');
      const killDeadline = Date.now() + 5_000;
      while (!gone() && Date.now() < killDeadline) await sleep(50);
      if (!gone()) throw new Error(`${name} (pid ${record.pid}) survived SIGKILL`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
  fs.rmSync(pidFile(name), { force: true });
  return true;
}
