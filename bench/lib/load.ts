import { createHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';

export interface LoadOptions {
  /** Origin of the server under test, e.g. `http://127.0.0.1:40123`. */
  origin: string;
  /** Called for every request: the path to ask for (e.g. cycling through warmed ids). */
  nextPath: () => string;
  connections: number;
  durationSec: number;
  /** GET unless said otherwise. */
  method?: 'GET' | 'POST' | 'PATCH';
  /** Called for every request: its JSON body (sent as application/json). No body when absent. */
  nextBody?: () => string;
}

export interface LoadFigures {
  /** 2xx responses per second of the measured window. */
  rps: number;
  /** 2xx responses in the measured window. */
  succeeded: number;
  p50Ms: number;
  p99Ms: number;
  /** Every request answered or failed. */
  requests: number;
  /** Socket errors, timeouts and non-2xx answers. */
  failed: number;
  statusCodes: Record<string, number>;
  durationSec: number;
}

/**
 * Closed-loop load with autocannon: `connections` keep-alive connections, each sending its next
 * request as soon as the previous one is answered (pipelining 1). Latency is recorded here in
 * microseconds: autocannon's own histogram has a 1 ms resolution, too coarse for a p99 of a few
 * milliseconds.
 */
export async function runLoad(load: LoadOptions): Promise<LoadFigures> {
  const latencyUs = createHistogram();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const options: autocannon.Options = {
      url: load.origin,
      connections: load.connections,
      duration: load.durationSec,
      pipelining: 1,
      timeout: 10,
      requests: [
        {
          method: load.method ?? 'GET',
          ...(load.nextBody ? { headers: { 'content-type': 'application/json' } } : {}),
          setupRequest: (request) => ({ ...request, path: load.nextPath(), ...(load.nextBody ? { body: load.nextBody() } : {}) }),
        },
      ],
    };
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (statusCode >= 200 && statusCode < 300) latencyUs.record(Math.max(1, Math.round(responseTimeMs * 1000)));
    });
  });
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count ?? 0]));
  const answered = Object.values(statusCodes).reduce((sum, count) => sum + count, 0);
  const ok = result['2xx'];
  return {
    rps: ok / result.duration,
    succeeded: ok,
    p50Ms: latencyUs.count > 0 ? latencyUs.percentile(50) / 1000 : Number.NaN,
    p99Ms: latencyUs.count > 0 ? latencyUs.percentile(99) / 1000 : Number.NaN,
    requests: answered + result.errors,
    failed: answered - ok + result.errors,
    statusCodes,
    durationSec: result.duration,
  };
}

/** `ids` in a fixed shuffled order, endlessly: every id equally often, no two neighbours alike. */
export function cycle(ids: readonly number[], prefix: string): () => string {
  const order = shuffled(ids);
  let next = 0;
  return () => {
    const id = order[next] as number;
    next = (next + 1) % order.length;
    return `${prefix}${id}`;
  };
}

/** Deterministic (seeded) Fisher-Yates, so that every run asks for ids in the same order. */
function shuffled(ids: readonly number[]): number[] {
  const out = [...ids];
  let seed = 0x2f6b_a9c1;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}
