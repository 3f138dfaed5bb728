/** Where Redis is. The same shape for the three topologies; services never branch on `mode`. */
export type RedisMode = 'cluster' | 'sentinel' | 'standalone';

export interface HostPort {
  host: string;
  port: number;
}

export interface RedisConnectionConfig {
  mode: RedisMode;
  /** Cluster seed nodes, or the standalone server (first entry). */
  nodes: HostPort[];
  /** Sentinels watching `masterName` (sentinel mode). */
  sentinels: HostPort[];
  masterName: string;
  password?: string | undefined;
  sentinelPassword?: string | undefined;
  /**
   * Address translation: what a node announces -> where to reach it. Used by the fault-injection
   * proxies in the tests, and by docker setups where announced addresses differ from reachable ones.
   */
  natMap?: Record<string, HostPort> | undefined;
}
