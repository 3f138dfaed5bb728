import { join } from 'node:path';
import { migrateFromEnv } from '@cachelab/db';

void migrateFromEnv({ service: 'catalog', migrationsDir: join(__dirname, '..', 'prisma', 'migrations') });
