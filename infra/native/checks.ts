import { runningProcess } from './processes';

export type Component = 'redis-cluster' | 'sentinel-group' | 'postgres' | 'zipkin' | 'jaeger' | 'service';
/** ok: healthy; degraded: answering but not as it should; down: not answering; skipped: optional and absent. */
export type CheckState = 'ok' | 'degraded' | 'down' | 'skipped';

/** One line of `stack status`: a process, or a property of a group of processes. */
export interface Check {
  name: string;
  component: Component;
  state: CheckState;
  /** Whether this check counts as healthy (skipped optional parts do). */
  ok: boolean;
  detail: string;
  port?: number;
  /** Pid when `up` started it; absent when something else serves the port. */
  pid?: number;
  hint?: string;
}

export function check(
  component: Component,
  name: string,
  state: CheckState,
  detail: string,
  extra: { port?: number; hint?: string; processName?: string } = {},
): Check {
  const result: Check = { name, component, state, ok: state === 'ok' || state === 'skipped', detail };
  if (extra.port !== undefined) result.port = extra.port;
  const pid = runningProcess(extra.processName ?? name)?.pid;
  if (pid !== undefined) result.pid = pid;
  if (extra.hint) result.hint = extra.hint;
  return result;
}

/** The message, plus the underlying cause's code when there is one (fetch only says "fetch failed"). */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return cause ? `${error.message} (${cause})` : error.message;
}
