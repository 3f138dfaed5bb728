import { originQueries } from '@cachelab/telemetry';
import { Prisma as PrismaNamespace, type User } from '../generated/prisma/client';
import type { Prisma } from './client';
import { EmailTakenError } from './errors';
import { selectUserSummary, type UserSummary } from './summary';

// Every function here is one trip to the origin: each counts itself in
// cachelab_origin_queries_total, so a run's database load can be read next to its hit ratio.

export type { User };

export interface NewUser {
  email: string;
  name: string;
}

export type UserChanges = Partial<NewUser>;

export async function findUser(prisma: Prisma, id: number): Promise<User | null> {
  originQueries.inc({ operation: 'user.find' });
  return prisma.user.findUnique({ where: { id } });
}

/** @throws EmailTakenError */
export async function createUser(prisma: Prisma, data: NewUser): Promise<User> {
  originQueries.inc({ operation: 'user.create' });
  try {
    return await prisma.user.create({ data });
  } catch (error) {
    throw asEmailTaken(error, data.email);
  }
}

/** Null when the user does not exist. @throws EmailTakenError */
export async function updateUser(prisma: Prisma, id: number, changes: UserChanges): Promise<User | null> {
  originQueries.inc({ operation: 'user.update' });
  try {
    return await prisma.user.update({ where: { id }, data: changes });
  } catch (error) {
    if (isCode(error, 'P2025')) return null;
    throw asEmailTaken(error, changes.email);
  }
}

/** False when the user did not exist. The user's orders go with it (ON DELETE CASCADE). */
export async function deleteUser(prisma: Prisma, id: number): Promise<boolean> {
  originQueries.inc({ operation: 'user.delete' });
  const { count } = await prisma.user.deleteMany({ where: { id } });
  return count > 0;
}

/** Null when the user does not exist. */
export async function userSummary(prisma: Prisma, id: number): Promise<UserSummary | null> {
  originQueries.inc({ operation: 'user.summary' });
  return selectUserSummary(prisma, id);
}

function isCode(error: unknown, code: string): error is PrismaNamespace.PrismaClientKnownRequestError {
  return error instanceof PrismaNamespace.PrismaClientKnownRequestError && error.code === code;
}

// The only unique index a user write can violate is User_email_key: ids come from the sequence.
function asEmailTaken(error: unknown, email: string | undefined): unknown {
  return isCode(error, 'P2002') && email !== undefined ? new EmailTakenError(email) : error;
}
