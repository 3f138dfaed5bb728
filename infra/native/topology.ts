/** Fixed ports and names of the native stack (see /work/shared/CONTRACT.md). */

export const HOST = '127.0.0.1';

export const CLUSTER_PORTS = [7001, 7002, 7003, 7004, 7005, 7006] as const;
export const SENTINEL_GROUP_PORTS = [6381, 6382, 6383] as const;
export const SENTINEL_PORTS = [26381, 26382, 26383] as const;
export const MASTER_NAME = 'cachelab';
export const POSTGRES_PORT = 55432;
/** Zipkin: the trace UI (/zipkin/) and the Zipkin v2 span API (/api/v2/spans). */
export const ZIPKIN_PORT = 9411;
export const JAEGER_UI_PORT = 16686;
export const JAEGER_OTLP_HTTP_PORT = 4318;

export const SERVICE_PORTS = { user: 3001, catalog: 3002, inventory: 3003 } as const;
export type ServiceName = keyof typeof SERVICE_PORTS;
export const SERVICE_NAMES = Object.keys(SERVICE_PORTS) as ServiceName[];

export const POSTGRES_USER = 'cachelab';
export const POSTGRES_PASSWORD = 'cachelab';
export const DATABASES = SERVICE_NAMES.flatMap((s) => [`cachelab_${s}`, `cachelab_${s}_test`]);

export type RedisMode = 'cluster' | 'sentinel' | 'standalone';
export const REDIS_MODES: readonly RedisMode[] = ['cluster', 'sentinel', 'standalone'];

/** The one password of every Redis server and sentinel. */
export function redisPassword(): string {
  return process.env.REDIS_PASSWORD || 'cachelab';
}

export const hostPort = (port: number): string => `${HOST}:${port}`;

/** Process names, as used by pid files, logs, startProcess and stopProcess. */
export const clusterNodeName = (port: number): string => `redis-${port}`;
export const groupNodeName = (port: number): string => `redis-${port}`;
export const sentinelName = (port: number): string => `sentinel-${port}`;
export const serviceProcessName = (service: ServiceName): string => `service-${service}`;
export const POSTGRES_PROCESS = 'postgres';
export const ZIPKIN_PROCESS = 'zipkin';
export const JAEGER_PROCESS = 'jaeger';

export function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(SERVICE_PORTS, name);
}
