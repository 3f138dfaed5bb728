/** An applied migration's file was edited afterwards: the database no longer matches the history. */
export class MigrationChecksumError extends Error {
  override readonly name = 'MigrationChecksumError';
  constructor(
    readonly migration: string,
    readonly appliedChecksum: string,
    readonly fileChecksum: string,
  ) {
    super(
      `migration ${migration} was modified after it was applied ` +
        `(applied checksum ${appliedChecksum}, file checksum ${fileChecksum}); ` +
        'add a new migration instead of editing an applied one',
    );
  }
}

/** A migration failed and was rolled back; `cause` is the database error. */
export class MigrationFailedError extends Error {
  override readonly name = 'MigrationFailedError';
  constructor(
    readonly migration: string,
    cause: unknown,
  ) {
    super(`migration ${migration} failed and was rolled back: ${describe(cause)}`, { cause });
  }
}

/**
 * `_prisma_migrations` records a migration that started and never finished (left by `prisma
 * migrate deploy`, which does not use transactions): someone must look at the database and run
 * `prisma migrate resolve` before anything else is applied.
 */
export class UnfinishedMigrationError extends Error {
  override readonly name = 'UnfinishedMigrationError';
  constructor(readonly migration: string) {
    super(
      `migration ${migration} started but never finished; inspect the database, then mark it with ` +
        '`prisma migrate resolve --rolled-back` or `--applied`',
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
