import { EventEmitter } from 'node:events';
import { Cluster } from 'ioredis';
import { closeRedis, createRedis, type RedisClient, type RedisConnectionConfig } from '@cachelab/redis';
import { logger } from '@cachelab/telemetry';
import type { CacheStore } from './store';

/**
 * sharded: SPUBLISH/SSUBSCRIBE (Redis 7 Cluster). A message travels only within the shard that
 *          owns the channel's slot, instead of being broadcast to every node of the cluster.
 * classic: PUBLISH/SUBSCRIBE (Sentinel, standalone, or a Cluster older than Redis 7).
 */
export type ChannelTransport = 'sharded' | 'classic';

interface ChannelEvents {
  message: [payload: string];
  /** The subscription may have lapsed: messages published from now on may be missed. */
  lapse: [reason: string];
}

/**
 * Events after which the subscriber may have missed messages: its connection closed or is being
 * re-established (ioredis's Sentinel failover detector turns a `+switch-master` into a close),
 * or, on a Cluster, a node or a shard subscriber dropped out. ioredis resubscribes by itself;
 * whether that worked is proven by the near cache's heartbeat, not by these events.
 */
const LAPSE_EVENTS = ['close', 'end', 'reconnecting', '-node', '-subscriber', 'nodeError'] as const;

/** One pub/sub channel for invalidation messages, on whatever topology the store runs. */
export class InvalidationChannel extends EventEmitter<ChannelEvents> {
  private subscriber: RedisClient;
  private closed = false;

  private constructor(
    private readonly store: CacheStore,
    private readonly config: RedisConnectionConfig,
    readonly name: string,
    readonly transport: ChannelTransport,
  ) {
    super();
    this.subscriber = this.subscribe();
  }

  /** `config` locates the same Redis as `store`; the subscriber needs a connection of its own. */
  static async open(store: CacheStore, config: RedisConnectionConfig, name: string): Promise<InvalidationChannel> {
    return new InvalidationChannel(store, config, name, await detectTransport(store));
  }

  /** Through the store: a dead Redis trips its breaker and fails fast. */
  async publish(payload: string): Promise<void> {
    await this.store.run((redis) => (this.transport === 'sharded' ? redis.spublish(this.name, payload) : redis.publish(this.name, payload)));
  }

  /** Drops the subscriber connection and starts a fresh one (when resubscribing never came back). */
  async reopen(): Promise<void> {
    if (this.closed) return;
    const old = this.subscriber;
    this.subscriber = this.subscribe();
    this.emit('lapse', 'reopened');
    await closeRedis(old);
  }

  async close(): Promise<void> {
    this.closed = true;
    await closeRedis(this.subscriber);
  }

  private subscribe(): RedisClient {
    const client = createSubscriber(this.config);
    client.on('error', (error: Error) => logger.debug({ err: error, channel: this.name }, 'near-cache subscriber error'));
    for (const event of LAPSE_EVENTS) {
      client.on(event, () => {
        if (!this.closed && client === this.subscriber) this.emit('lapse', event);
      });
    }
    const onMessage = (channel: string, payload: string) => {
      if (channel === this.name && client === this.subscriber) this.emit('message', payload);
    };
    if (this.transport === 'sharded') {
      client.on('smessage', onMessage);
      client.ssubscribe(this.name).catch((error: unknown) => logger.warn({ err: error, channel: this.name }, 'SSUBSCRIBE failed'));
    } else {
      client.on('message', onMessage);
      client.subscribe(this.name).catch((error: unknown) => logger.warn({ err: error, channel: this.name }, 'SUBSCRIBE failed'));
    }
    return client;
  }
}

/** Sharded pub/sub on a Cluster whose servers have it (Redis 7+); classic everywhere else. */
async function detectTransport(store: CacheStore): Promise<ChannelTransport> {
  if (!(store.redis instanceof Cluster)) return 'classic';
  try {
    const info = await store.run((redis) => redis.call('COMMAND', 'INFO', 'SPUBLISH'));
    return Array.isArray(info) && info[0] ? 'sharded' : 'classic';
  } catch {
    return 'sharded'; // Redis unreachable for now; the stack ships Redis 7
  }
}

function createSubscriber(config: RedisConnectionConfig): RedisClient {
  // On a Cluster, createRedis gives subscribers `shardedSubscribers`: SSUBSCRIBE then goes to the
  // shard that owns the channel (a plain Cluster client would subscribe on an arbitrary node).
  return createRedis(config, { purpose: 'subscriber', connectionName: 'near-cache-subscriber' });
}
