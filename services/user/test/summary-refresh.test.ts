import { waitFor } from '@cachelab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, freshEmail } from './support/http';
import { startUserService, type RunningService } from './support/user-service';

let svc: RunningService;
beforeAll(async () => {
  // A one-second TTL so the test sees the entry go stale; the stale window keeps it in Redis.
  // Early refresh off: it would (rightly) recompute the summary just before it goes stale.
  svc = await startUserService({ SUMMARY_TTL_MS: '1000', SUMMARY_STALE_MS: '60000', SUMMARY_XFETCH_BETA: '0' });
});
afterAll(() => svc.close());

describe('summary past its TTL', () => {
  it('is served stale while one background refresh recomputes it', async () => {
    const created = await call(`${svc.url}/users`, { method: 'POST', json: { email: freshEmail(), name: 'S' } });
    const id = created.body.id as number;
    const summary = () => call(`${svc.url}/users/${id}/summary`);
    expect((await summary()).body.orderCount).toBe(0);

    // New orders reach the database without an API write, so nothing invalidates the summary.
    await svc.service.prisma.$executeRaw`INSERT INTO "Order" ("userId", "amountCents", category) VALUES (${id}, 500, 'toys')`;

    const stale = await waitFor(async () => {
      const read = await summary();
      return read.cache === 'stale' ? read : null;
    }, { what: 'the summary to go stale' });
    expect(stale.body.orderCount).toBe(0); // the old value, answered at once

    await svc.service.caches.summaries.settled(); // the refresh it started
    const fresh = await summary();
    expect(fresh.body.orderCount).toBe(1);
    expect(['hit', 'stale']).toContain(fresh.cache);
  });
});
