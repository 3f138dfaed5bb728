import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/**
 * A tiny real catalog-service for the tests: `GET /products/by-sku/:sku` answers 200 for known
 * SKUs and 404 for the others, like catalog-service does. It stands in for another service, not
 * for Redis or Postgres. It records the headers it received (traceparent) and can be made slow.
 */
export class CatalogStub {
  readonly known = new Set<string>();
  readonly requests: { sku: string; headers: IncomingHttpHeaders }[] = [];
  /** Answer only after this many ms (to exercise the inventory's timeout). */
  delayMs = 0;
  private readonly server: Server;
  private timers = new Set<NodeJS.Timeout>();

  private constructor() {
    this.server = createServer((req, res) => {
      const match = /^\/products\/by-sku\/([^/?]+)$/.exec(req.url ?? '');
      if (req.method !== 'GET' || !match) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found","message":"no route"}}');
        return;
      }
      const sku = decodeURIComponent(match[1]!);
      this.requests.push({ sku, headers: req.headers });
      const answer = () => {
        if (this.known.has(sku)) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 1, sku }));
        else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found","message":"unknown"}}');
      };
      if (this.delayMs === 0) return answer();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        answer();
      }, this.delayMs);
      this.timers.add(timer);
    });
  }

  static async start(): Promise<CatalogStub> {
    const stub = new CatalogStub();
    await new Promise<void>((resolve) => stub.server.listen(0, '127.0.0.1', resolve));
    return stub;
  }

  get url(): string {
    const { port } = this.server.address() as { port: number };
    return `http://127.0.0.1:${port}`;
  }

  add(...skus: string[]): void {
    for (const sku of skus) this.known.add(sku);
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
