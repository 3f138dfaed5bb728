import { closeRedis, waitForReady, type RedisClient } from '@cachelab/redis';

/**
 * Dedicated connections lent out one caller at a time. WATCH is state of a connection: two
 * optimistic transactions sharing one would see each other's EXEC clear their WATCH, and an EXEC
 * that watches nothing always succeeds (an oversell). So every WATCH transaction borrows its own.
 */
export class ConnectionPool {
  private readonly idle: RedisClient[] = [];
  private readonly waiting: ((client: RedisClient) => void)[] = [];
  private readonly all: RedisClient[] = [];

  constructor(
    private readonly create: () => RedisClient,
    private readonly size: number,
  ) {}

  async use<T>(fn: (client: RedisClient) => Promise<T>): Promise<T> {
    const client = await this.acquire();
    try {
      return await fn(client);
    } finally {
      this.giveBack(client);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((client) => closeRedis(client)));
    for (const client of this.all) client.disconnect(); // Sentinel detector sockets (ioredis#1362)
  }

  private async acquire(): Promise<RedisClient> {
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.all.length < this.size) {
      const client = this.create();
      this.all.push(client);
      try {
        await waitForReady(client, 5_000);
      } catch (error) {
        this.all.splice(this.all.indexOf(client), 1);
        client.disconnect();
        throw error;
      }
      return client;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private giveBack(client: RedisClient): void {
    const next = this.waiting.shift();
    if (next) next(client);
    else this.idle.push(client);
  }
}
