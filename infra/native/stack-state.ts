import * as fs from 'node:fs';
import { statePath } from './paths';
import type { RedisMode } from './topology';

/** infra: Redis Cluster, Sentinel group, Postgres. all: also Zipkin, Jaeger (when installed) and the services. */
export type Scope = 'infra' | 'all';

/** What the last `up` asked for, so that `status` checks what is expected to run. */
export interface StackState {
  scope: Scope;
  mode: RedisMode;
  updatedAt: string;
}

const file = (): string => statePath('stack.json');

export function readStackState(): StackState | null {
  try {
    return JSON.parse(fs.readFileSync(file(), 'utf8')) as StackState;
  } catch {
    return null;
  }
}

export function writeStackState(scope: Scope, mode: RedisMode): void {
  // An `up --infra` (e.g. from the test suite) does not shrink what a full `up` started.
  const previous = readStackState();
  const keep = scope === 'infra' && previous?.scope === 'all';
  const state: StackState = { ...(keep ? previous : { scope, mode }), updatedAt: new Date().toISOString() };
  fs.writeFileSync(file(), `${JSON.stringify(state, null, 2)}\n`);
}

export function clearStackState(): void {
  fs.rmSync(file(), { force: true });
}
