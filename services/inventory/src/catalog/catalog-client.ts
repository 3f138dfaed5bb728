import http from 'node:http';
import { withSpan } from '@cachelab/telemetry';
import { CatalogUnavailableError } from '../stock/errors';

/**
 * Asks catalog-service whether a SKU exists (`GET /products/by-sku/:sku`). Through node:http, so
 * that the http instrumentation makes a client span and injects `traceparent`: the catalog's
 * spans join the reservation's trace. One deadline covers connect, headers and body.
 */
export class CatalogClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  /** True when the catalog has the SKU, false when it answers 404. @throws CatalogUnavailableError */
  async hasProduct(sku: string): Promise<boolean> {
    return withSpan('catalog.check-sku', { 'inventory.sku': sku }, async (span) => {
      const status = await this.get(`/products/by-sku/${encodeURIComponent(sku)}`);
      span.setAttribute('http.response.status_code', status);
      if (status === 200) return true;
      if (status === 404) return false;
      throw new CatalogUnavailableError(this.baseUrl, `it answered ${status}`);
    });
  }

  close(): void {
    this.agent.destroy();
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
