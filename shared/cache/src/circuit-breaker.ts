import CircuitBreaker from 'opossum';
import { ReplyError } from 'ioredis';
import { circuitBreakerState } from '@cachelab/telemetry';

/**
 * Graceful degradation, part one: stop paying for a dead Redis.
 *
 * Without a breaker every request waits for a Redis timeout before falling back to the database,
 * so an outage adds the timeout to every request. The breaker counts failures in a rolling window;
 * past the threshold it opens and callers skip Redis at once (`CacheUnavailableError`). After
 * `resetTimeoutMs` it lets one trial call through (half-open): success closes it and caching
 * resumes by itself, failure opens it again.
 */
export class CacheUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('cache unavailable', { cause });
    this.name = 'CacheUnavailableError';
  }
}

export interface BreakerOptions {
  name?: string;
  /** Share of failed calls in the window that opens the breaker (percent). */
  errorThresholdPercentage?: number;
  /** Calls needed in the window before the breaker may open at all. */
  volumeThreshold?: number;
  rollingWindowMs?: number;
  /** How long to stay open before a trial call. */
  resetTimeoutMs?: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Errors that mean "Redis answered": a script error or WRONGTYPE is a bug to surface, not an
 * outage. Replies that mean the server cannot serve right now still count against it.
 */
const OUTAGE_REPLIES = /^(CLUSTERDOWN|LOADING|MASTERDOWN|READONLY|TRYAGAIN|NOREPLICAS)/;
const isAnswer = (error: unknown) => error instanceof ReplyError && !OUTAGE_REPLIES.test((error as Error).message);

type Operation = () => Promise<unknown>;

export class RedisCircuitBreaker {
  private readonly breaker: CircuitBreaker<[Operation], unknown>;
  readonly name: string;

  constructor(options: BreakerOptions = {}) {
    this.name = options.name ?? 'redis';
    this.breaker = new CircuitBreaker((operation: Operation) => operation(), {
      name: this.name,
      timeout: false, // the Redis client's command timeout already bounds each call
      errorThresholdPercentage: options.errorThresholdPercentage ?? 50,
      volumeThreshold: options.volumeThreshold ?? 5,
      rollingCountTimeout: options.rollingWindowMs ?? 10_000,
      resetTimeout: options.resetTimeoutMs ?? 2_000,
      errorFilter: isAnswer,
      // Counts are all the breaker needs. Latency percentiles over the window, and a snapshot
      // event per bucket, cost CPU on every cache call (docs/benchmarks.md) and nothing reads them.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    const gauge = (value: number) => () => circuitBreakerState.set({ breaker: this.name }, value);
    this.breaker.on('close', gauge(0));
    this.breaker.on('halfOpen', gauge(1));
    this.breaker.on('open', gauge(2));
    gauge(0)();
  }

  /** Runs `operation` unless the breaker is open; an open breaker throws `CacheUnavailableError`. */
  async run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return (await this.breaker.fire(operation)) as T;
    } catch (error) {
      if (isAnswer(error)) throw error;
      throw new CacheUnavailableError(error);
    }
  }

  get state(): BreakerState {
    if (this.breaker.opened) return 'open';
    if (this.breaker.halfOpen) return 'half-open';
    return 'closed';
  }

  /** True while calls are being refused without trying Redis. */
  get isOpen(): boolean {
    return this.breaker.opened;
  }

  shutdown(): void {
    this.breaker.shutdown();
  }
}
