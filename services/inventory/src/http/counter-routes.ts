import type { Express } from 'express';
import type { CounterExtension, CounterRouteDeps } from '../extension';

/**
 * Placeholder owned by inventory-B, who replaces this file with the write-behind counters and
 * the leaderboard routes. Until then: no routes, sales are not counted.
 */
export function counterRoutes(_app: Express, _deps: CounterRouteDeps): CounterExtension {
  return {
    recordSale: async () => undefined,
    close: async () => undefined,
  };
}
