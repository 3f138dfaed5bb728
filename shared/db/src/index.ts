export { migrate, PRISMA_MIGRATE_LOCK_KEY, type MigrateOptions, type MigrateResult, type MigrationLogger } from './migrate';
export { MigrationChecksumError, MigrationFailedError, UnfinishedMigrationError } from './errors';
export { checksumOf, readMigrationFiles, type MigrationFile } from './migration-files';
export { createScratchDatabase, databaseName, dropDatabase, ensureDatabase, type ScratchDatabase } from './database';
export { compareSchema, diffShapes, formatDifference, type CompareSchemaOptions, type SchemaDifference } from './compare-schema';
export { shapeOfPrismaSchema } from './prisma-schema-shape';
export type { SchemaShape } from './schema-shape';
export { migrateFromEnv, type MigrateFromEnvOptions } from './migrate-from-env';
export { pgAdapter, type PgAdapterOptions } from './pg-adapter';
