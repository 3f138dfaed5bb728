import Redis from 'ioredis';
import { HOST, redisPassword } from './topology';

/**
 * Runs `fn` on a short-lived connection to one Redis server or sentinel (authenticated, no
 * retries, no offline queue): a health check must fail fast instead of waiting for recovery.
 */
export async function withRedis<T>(port: number, fn: (redis: Redis) => Promise<T>, timeoutMs = 1500): Promise<T> {
  const redis = new Redis({
    host: HOST,
    port,
    password: redisPassword(),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
  });
  let connectError: Error | undefined;
  redis.on('error', (error: Error) => (connectError ??= error)); // surfaces as the rejection below
  try {
    await redis.connect().catch((error: Error) => {
      // ioredis rejects with "Connection is closed."; the socket error says why (e.g. ECONNREFUSED).
      throw connectError ?? error;
    });
    return await fn(redis);
  } finally {
    // disconnect() on a connection that never opened arms a 2 s timer nothing clears, which
    // would keep a CLI alive for 2 s after `status` found a server down.
    if (redis.status !== 'end') redis.disconnect();
  }
}

export async function redisCall(port: number, command: string, ...args: (string | number)[]): Promise<unknown> {
  return withRedis(port, (redis) => redis.call(command, ...args));
}

/** `INFO <section>` (or CLUSTER INFO) as key/value pairs. */
export function parseInfo(text: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of String(text).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

export async function info(port: number, section: string): Promise<Record<string, string>> {
  return parseInfo(await redisCall(port, 'INFO', section));
}

/** True when the server answers PING with our password. */
export async function pingRedis(port: number, timeoutMs = 1000): Promise<boolean> {
  try {
    return (await withRedis(port, (redis) => redis.ping(), timeoutMs)) === 'PONG';
  } catch {
    return false;
  }
}
