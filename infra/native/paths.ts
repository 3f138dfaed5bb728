import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root (this file lives in <repo>/infra/native). */
export const repoRoot = path.resolve(__dirname, '..', '..');
export const infraDir = path.join(repoRoot, 'infra');

/** Everything the stack writes: data, logs, pid files. Read on each call so tests may change it. */
export function stateDir(): string {
  return path.resolve(process.env.CACHELAB_STATE_DIR || path.join(repoRoot, '.cachelab'));
}

/** Downloaded tools shared by every clone (see scripts/bootstrap.sh). */
export function cacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.resolve(process.env.CACHELAB_CACHE_DIR || path.join(xdg, 'cachelab'));
}

export const statePath = (...parts: string[]): string => path.join(stateDir(), ...parts);
export const logFile = (processName: string): string => statePath('logs', `${processName}.log`);
export const pidFile = (processName: string): string => statePath('pids', `${processName}.pid`);
