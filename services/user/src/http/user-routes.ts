import type { CacheRead } from '@cachelab/cache';
import { body, HttpError, intId, params, rateLimit } from '@cachelab/http-kit';
import type { Express, Response } from 'express';
import { z } from 'zod';
import type { UserCaches } from '../caching/user-caches';
import { toProfile, type Profile } from '../caching/profile';
import type { Prisma } from '../db/client';
import { EmailTakenError } from '../db/errors';
import { createUser, deleteUser, findUser, updateUser, userSummary } from '../db/users';

const idParams = z.object({ id: intId() });
const email = z.email().max(254).transform((value) => value.toLowerCase());
const name = z.string().trim().min(1).max(100);
const newUser = z.strictObject({ email, name });
const userChanges = z
  .strictObject({ email: email.optional(), name: name.optional() })
  .refine((changes) => Object.keys(changes).length > 0, 'expected at least one of: email, name');

/** Answers a cached read: the value with its `x-cache` header, or a 404 (also with the header). */
function sendCached<T>(res: Response, read: CacheRead<T>, what: string): void {
  res.setHeader('x-cache', read.result);
  if (read.value === null) throw new HttpError(404, 'not_found', `${what} not found`);
  res.json(read.value);
}

function emailConflict(error: unknown): never {
  if (error instanceof EmailTakenError) throw new HttpError(409, 'email_taken', error.message);
  throw error;
}

export function userRoutes(app: Express, prisma: Prisma, caches: UserCaches, cacheEnabled: boolean): void {
  const limitWrites = rateLimit(caches.writeLimiter);
  const loadProfile = (id: number) => async (): Promise<Profile | null> => {
    const user = await findUser(prisma, id);
    return user && toProfile(user);
  };
  const loadSummary = (id: number) => () => userSummary(prisma, id);

  /** Everything cached about one user is dropped after a committed change. */
  const invalidate = (id: number) => Promise.all([caches.profiles.invalidate(id), caches.summaries.invalidate(id)]);

  app.get('/users/:id', async (req, res) => {
    const { id } = params(req, idParams);
    const read = cacheEnabled
      ? await caches.profiles.get(id, loadProfile(id))
      : { value: await loadProfile(id)(), result: 'bypass' as const };
    sendCached(res, read, 'user');
  });

  app.get('/users/:id/summary', async (req, res) => {
    const { id } = params(req, idParams);
    const read = cacheEnabled
      ? await caches.summaries.get(id, loadSummary(id))
      : { value: await loadSummary(id)(), result: 'bypass' as const };
    sendCached(res, read, 'user');
  });

  app.post('/users', limitWrites, async (req, res) => {
    const data = body(req, newUser);
    const user = await createUser(prisma, data).catch(emailConflict);
    await invalidate(user.id); // a "not found" tombstone for this id may be cached
    res.status(201).json(toProfile(user));
  });

  app.patch('/users/:id', limitWrites, async (req, res) => {
    const { id } = params(req, idParams);
    const changes = body(req, userChanges);
    const user = await updateUser(prisma, id, changes).catch(emailConflict);
    if (!user) throw new HttpError(404, 'not_found', 'user not found');
    await invalidate(id);
    res.json(toProfile(user));
  });

  app.delete('/users/:id', limitWrites, async (req, res) => {
    const { id } = params(req, idParams);
    if (!(await deleteUser(prisma, id))) throw new HttpError(404, 'not_found', 'user not found');
    await invalidate(id);
    res.status(204).end();
  });
}
