import { defineConfig } from 'prisma/config';

// Prisma 7 reads the connection URL from here, not from schema.prisma. `prisma generate` needs
// none, so it must not fail when DATABASE_URL is unset. Migrations are applied by
// scripts/migrate.ts (offline); the Prisma CLI's migrate commands would need its schema engine.
const url = process.env.DATABASE_URL;

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  ...(url ? { datasource: { url } } : {}),
});
