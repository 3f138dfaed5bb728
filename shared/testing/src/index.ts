export { ChaosRedis } from './chaos-redis';
export { CLUSTER_PORTS, SENTINEL_PORTS, SENTINEL_REDIS_PORTS, testRedisConfig, testRedisMode } from './redis-config';
export { TcpProxy } from './tcp-proxy';
export { uniqueName, waitFor } from './wait-for';
