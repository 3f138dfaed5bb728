import type { Express } from 'express';
import { metricsContentType, metricsText } from '@cachelab/telemetry';

/**
 * Either one function answering for every dependency, or one function per dependency. The
 * second form times each check out on its own, so a hung dependency is named in the body.
 */
export type Readiness =
  | (() => Promise<Record<string, boolean>>)
  | Record<string, () => Promise<boolean>>;

interface ReadinessReport {
  checks: Record<string, boolean>;
  reason?: string;
}

class Timeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Timeout(`timed out after ${ms}ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function check(readiness: Readiness, timeoutMs: number): Promise<ReadinessReport> {
  if (typeof readiness !== 'function') {
    const entries = await Promise.all(
      Object.entries(readiness).map(async ([name, probe]) => {
        const ok = await withTimeout(Promise.resolve().then(probe), timeoutMs).catch(() => false);
        return [name, ok === true] as const;
      }),
    );
    return { checks: Object.fromEntries(entries) };
  }
  try {
    return { checks: await withTimeout(Promise.resolve().then(readiness), timeoutMs) };
  } catch (error) {
    const reason = error instanceof Timeout ? `readiness check ${error.message}` : 'readiness check failed';
    return { checks: {}, reason };
  }
}

export function mountHealth(app: Express, readiness: Readiness, readinessTimeoutMs: number): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const { checks, reason } = await check(readiness, readinessTimeoutMs);
    const ready = reason === undefined && Object.values(checks).every((ok) => ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks, ...(reason && { reason }) });
  });

  app.get('/metrics', async (_req, res) => {
    const text = await metricsText();
    res.set('content-type', metricsContentType).send(text);
  });
}
