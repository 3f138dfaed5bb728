import { migrate, ensureDatabase, compareSchema, formatDifference } from './src';
const url = 'postgresql://cachelab:cachelab@127.0.0.1:55499/try1';
(async () => {
  console.log('created', await ensureDatabase(url));
  const logger = { info: (o: object, m: string) => console.log(m, o), warn: (o: object, m: string) => console.warn(m, o) };
  console.log(await migrate({ databaseUrl: url, migrationsDir: '/work/main/services/user/prisma/migrations', logger }));
  console.log(await migrate({ databaseUrl: url, migrationsDir: '/work/main/services/user/prisma/migrations', logger }));
  const d = await compareSchema({ databaseUrl: url, schemaPath: '/work/main/services/user/prisma/schema.prisma' });
  console.log(d.map(formatDifference));
})();
