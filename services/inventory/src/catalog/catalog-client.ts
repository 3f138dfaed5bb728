import http from 'node:http';
import { withSpan } from '@cachelab/telemetry';
import { CatalogUnavailableError } from '../stock/errors';

const MAX_REMEMBERED = 100_000;

/**
 * Asks catalog-service whether a SKU exists (`GET /products/by-sku/:sku`). Through node:http, so
 * that the http instrumentation makes a client span and injects `traceparent`: the catalog's
 * spans join the reservation's trace. One deadline covers connect, headers and body.
 *
 * A flash sale sends thousands of reservations for one SKU within a second; asking the catalog
 * each time would make it the bottleneck (and its timeouts the sale's errors). So concurrent
 * checks of one SKU share one request, and a SKU found is remembered for `rememberMs`. Unknown
 * SKUs are never remembered: a product created a moment later is found at once.
 */
export class CatalogClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly found = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly rememberMs: number,
  ) {}

  /** True when the catalog has the SKU, false when it answers 404. @throws CatalogUnavailableError */
  async hasProduct(sku: string): Promise<boolean> {
    return withSpan('catalog.check-sku', { 'inventory.sku': sku }, async (span) => {
      const until = this.found.get(sku);
      if (until !== undefined && until > Date.now()) {
        span.setAttribute('inventory.catalog.remembered', true);
        return true;
      }
      let check = this.inFlight.get(sku);
      span.setAttribute('inventory.catalog.coalesced', check !== undefined);
      if (check === undefined) {
        // This span's request goes to catalog-service: its spans join this trace (traceparent).
        span.setAttribute('inventory.catalog.asked', true);
        check = this.ask(sku).finally(() => this.inFlight.delete(sku));
        this.inFlight.set(sku, check);
      }
      return check;
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private async ask(sku: string): Promise<boolean> {
    const status = await this.get(`/products/by-sku/${encodeURIComponent(sku)}`);
    if (status === 404) return false;
    if (status !== 200) throw new CatalogUnavailableError(this.baseUrl, `it answered ${status}`);
    if (this.rememberMs > 0) {
      if (this.found.size >= MAX_REMEMBERED) this.found.clear();
      this.found.set(sku, Date.now() + this.rememberMs);
    }
    return true;
  }

  private get(path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      let deadline: NodeJS.Timeout | undefined;
      const fail = (error: Error) => {
        clearTimeout(deadline);
        reject(new CatalogUnavailableError(this.baseUrl, error.message));
      };
      const request = http.get(new URL(path, this.baseUrl), { agent: this.agent, headers: { accept: 'application/json' } }, (response) => {
        response.resume(); // the status is all we need; drain so the socket is reused
        response.on('end', () => {
          clearTimeout(deadline);
          resolve(response.statusCode ?? 0);
        });
        response.on('error', fail);
      });
      request.on('error', fail);
      deadline = setTimeout(() => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
  }
}
