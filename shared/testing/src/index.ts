export { ChaosRedis } from './chaos-redis';
export { CLUSTER_PORTS, SENTINEL_PORTS, SENTINEL_REDIS_PORTS, serviceTestEnv, testRedisConfig, testRedisMode } from './redis-config';
export { TcpProxy, type ProxyState } from './tcp-proxy';
export { uniqueName, waitFor } from './wait-for';
export { call, post, type Reply } from './http';
export { freePort } from './free-port';
export { spawnService, type ServiceProcess, type SpawnServiceOptions } from './service-process';
export { migratedDatabase, sql, testDatabase, truncateTables, type TestDatabase, type TestDatabaseOptions } from './test-database';
export { driftedSchema, schemaDrift, type DriftedSchemaOptions } from './schema-drift';
