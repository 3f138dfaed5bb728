export type { HostPort, RedisConnectionConfig, RedisMode } from './config';
export { closeRedis, createRedis, pingRedis, waitForReady } from './connect';
export type { ConnectionPurpose, CreateRedisOptions, RedisClient } from './connect';
export { defineScripts } from './scripts';
export { LuaIncludeError, resolveIncludes } from './lua-includes';
export type { WithScripts } from './scripts';
