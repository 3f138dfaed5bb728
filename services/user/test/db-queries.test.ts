import { createScratchDatabase, type ScratchDatabase } from '@cachelab/db';
import { originQueries } from '@cachelab/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type Prisma } from '../src/db/client';
import { EmailTakenError } from '../src/db/errors';
import { createUser, deleteUser, findUser, updateUser, userSummary } from '../src/db/users';
import { migratedDatabase, testDatabaseUrl } from './helpers/db';

// A database of its own: the summary's percentile ranks a user among all users, so the test
// must know every row.
let scratch: ScratchDatabase;
let prisma: Prisma;

beforeAll(async () => {
  scratch = await createScratchDatabase(testDatabaseUrl, 'cachelab_user_scratch');
  await migratedDatabase(scratch.url);
  prisma = createPrisma(scratch.url, { poolSize: 2 });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await scratch?.drop();
});

async function originCount(operation: string): Promise<number> {
  const { values } = await originQueries.get();
  return values.find((v) => v.labels.operation === operation)?.value ?? 0;
}

/** Runs `fn` and returns how many origin queries it counted under `operation`. */
async function counted(operation: string, fn: () => Promise<unknown>): Promise<number> {
  const before = await originCount(operation);
  await fn();
  return (await originCount(operation)) - before;
}

describe('user queries', () => {
  it('create, find, update and delete a user, each counted as one origin query', async () => {
    let id = 0;
    expect(await counted('user.create', async () => ({ id } = await createUser(prisma, { email: 'a@t.test', name: 'A' })))).toBe(1);

    let found: Awaited<ReturnType<typeof findUser>> = null;
    expect(await counted('user.find', async () => (found = await findUser(prisma, id)))).toBe(1);
    expect(found).toMatchObject({ id, email: 'a@t.test', name: 'A' });

    const updated = await updateUser(prisma, id, { name: 'B' });
    expect(updated).toMatchObject({ id, email: 'a@t.test', name: 'B' });
    expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(found!.updatedAt.getTime());

    await prisma.$executeRaw`INSERT INTO "Order" ("userId", "amountCents", category) VALUES (${id}, 100, 'toys')`;
    expect(await counted('user.delete', async () => expect(await deleteUser(prisma, id)).toBe(true))).toBe(1);
    expect(await prisma.order.count({ where: { userId: id } })).toBe(0); // ON DELETE CASCADE
    expect(await deleteUser(prisma, id)).toBe(false);
    expect(await findUser(prisma, id)).toBeNull();
  });

  it('answer null for a user that does not exist', async () => {
    expect(await findUser(prisma, 987_654)).toBeNull();
    expect(await counted('user.update', async () => expect(await updateUser(prisma, 987_654, { name: 'x' })).toBeNull())).toBe(1);
    expect(await userSummary(prisma, 987_654)).toBeNull();
  });

  it('turn a duplicate email into EmailTakenError, on create and on update', async () => {
    await createUser(prisma, { email: 'taken@t.test', name: 'T' });
    const other = await createUser(prisma, { email: 'other@t.test', name: 'O' });

    await expect(createUser(prisma, { email: 'taken@t.test', name: 'T2' })).rejects.toEqual(new EmailTakenError('taken@t.test'));
    await expect(updateUser(prisma, other.id, { email: 'taken@t.test' })).rejects.toBeInstanceOf(EmailTakenError);
  });
});

describe('userSummary', () => {
  it('aggregates one user against all users', async () => {
    await prisma.$executeRaw`TRUNCATE "User", "Order" RESTART IDENTITY CASCADE`;
    const big = await createUser(prisma, { email: 'big@t.test', name: 'Big' });
    const small = await createUser(prisma, { email: 'small@t.test', name: 'Small' });
    const none = await createUser(prisma, { email: 'none@t.test', name: 'None' });
    const thisMonth = (id: number, cents: number, category: string) =>
      prisma.$executeRaw`INSERT INTO "Order" ("userId", "amountCents", category, "createdAt")
        VALUES (${id}, ${cents}, ${category}, date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 hour')`;
    await thisMonth(big.id, 1000, 'books');
    await thisMonth(big.id, 3000, 'toys');
    await thisMonth(small.id, 100, 'toys');
    // Outside the 12-month window: in the lifetime figures, not in the months.
    await prisma.$executeRaw`INSERT INTO "Order" ("userId", "amountCents", category, "createdAt")
      VALUES (${big.id}, 2000, 'books', now() - interval '13 months')`;

    let summary: Awaited<ReturnType<typeof userSummary>> = null;
    expect(await counted('user.summary', async () => (summary = await userSummary(prisma, big.id)))).toBe(1);

    const months = lastTwelveMonths();
    expect(summary).toEqual({
      userId: big.id,
      orderCount: 3,
      lifetimeSpendCents: 6000,
      averageOrderCents: 2000,
      spendByCategory: [
        { category: 'books', orderCount: 2, spendCents: 3000 },
        { category: 'toys', orderCount: 1, spendCents: 3000 },
      ],
      spendByMonth: months.map((month, i) => ({ month, spendCents: i === 11 ? 4000 : 0 })),
      spendPercentile: 66.7, // two of the three users spent less
    });
    expect(await userSummary(prisma, small.id)).toMatchObject({ orderCount: 1, averageOrderCents: 100, spendPercentile: 33.3 });
    expect(await userSummary(prisma, none.id)).toMatchObject({
      orderCount: 0,
      lifetimeSpendCents: 0,
      averageOrderCents: 0,
      spendByCategory: [],
      spendByMonth: months.map((month) => ({ month, spendCents: 0 })),
      spendPercentile: 0,
    });
  });
});

/** `YYYY-MM` of the last 12 months in UTC, oldest first. */
function lastTwelveMonths(): string[] {
  const now = new Date();
  return Array.from({ length: 12 }, (_, i) => {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11 + i, 1));
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  });
}
