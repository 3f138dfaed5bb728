import { join } from 'node:path';
import { migrateFromEnv } from '@cachelab/db';

void migrateFromEnv({ service: 'user', migrationsDir: join(__dirname, '..', 'prisma', 'migrations') });
