import { entityKey } from '@cachelab/cache';
import { HttpError, intId, params } from '@cachelab/http-kit';
import type { Express } from 'express';
import { z } from 'zod';
import type { UserCaches } from '../caching/user-caches';
import { toProfile } from '../caching/profile';
import type { Prisma } from '../db/client';
import { findUser } from '../db/users';

/**
 * WRONG ON PURPOSE, for teaching: cache-aside as it is often first written.
 *   GET; on a miss SELECT and SET. No single flight, no lease, no version check.
 * Under a burst of reads of a cold key every request queries the database (a stampede), and a
 * slow reader can write an old row back after a write. Compare with GET /users/:id.
 * The entries live under their own kind (`lab-profile`) so the real cache is never polluted.
 */
export function labRoutes(app: Express, prisma: Prisma, caches: UserCaches, keyPrefix: string): void {
  const idParams = z.object({ id: intId() });
  app.get('/lab/users/:id/unprotected', async (req, res) => {
    const { id } = params(req, idParams);
    const key = entityKey(`${keyPrefix}user`, id, 'lab-profile');
    res.setHeader('x-lab', 'wrong on purpose: no stampede protection, no write-back guard');
    const cached = await caches.store.run((redis) => redis.get(key)).catch(() => null);
    if (cached !== null) {
      res.setHeader('x-cache', 'hit');
      res.json(JSON.parse(cached));
      return;
    }
    const user = await findUser(prisma, id);
    res.setHeader('x-cache', 'miss');
    if (!user) throw new HttpError(404, 'not_found', 'user not found');
    const profile = toProfile(user);
    await caches.store.run((redis) => redis.set(key, JSON.stringify(profile), 'PX', 60_000)).catch(() => undefined);
    res.json(profile);
  });
}
