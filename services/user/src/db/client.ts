import { pgAdapter, type PgAdapterOptions } from '@cachelab/db';
import { PrismaClient } from '../generated/prisma/client';

export type Prisma = PrismaClient;
export type PrismaOptions = PgAdapterOptions;

/** This service's generated Prisma Client over node-postgres (see pgAdapter for the pool settings). */
export function createPrisma(databaseUrl: string, options: PrismaOptions = {}): Prisma {
  return new PrismaClient({ adapter: pgAdapter(databaseUrl, options) });
}
