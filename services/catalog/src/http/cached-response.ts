import type { CacheRead } from '@cachelab/cache';
import { cacheRequests } from '@cachelab/telemetry';
import { HttpError } from '@cachelab/http-kit';
import type { Response } from 'express';

/** Answers a cached read: the value with its `x-cache` header, or a 404 (also with the header). */
export function sendCached<T>(res: Response, read: CacheRead<T>, what: string): void {
  res.setHeader('x-cache', read.result);
  if (read.value === null) throw new HttpError(404, 'not_found', `${what} not found`);
  res.json(read.value);
}

/** CACHE_ENABLED=false: the database answers, counted as a `bypass` of `pattern` like any other. */
export async function uncached<T>(pattern: string, load: () => Promise<T | null>): Promise<CacheRead<T>> {
  const value = await load();
  cacheRequests.inc({ pattern, result: 'bypass' });
  return { value, result: 'bypass' };
}
