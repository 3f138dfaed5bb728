import type { RedisConnectionConfig } from '@cachelab/redis';
import { CatalogStub } from './catalog-stub';
import { post } from './http';
import { startInventoryService, type RunningService } from './inventory-service';
import { freshSku } from './skus';

export interface Fixture {
  inventory: RunningService;
  catalog: CatalogStub;
  url: string;
  /** A new SKU the catalog knows, with `units` in stock (created through POST /restock). */
  stockedSku(units: number): Promise<string>;
  close(): Promise<void>;
}

/** The inventory service in-process, talking to a CatalogStub. */
export async function startFixture(overrides: Record<string, string> = {}, redis?: RedisConnectionConfig): Promise<Fixture> {
  const catalog = await CatalogStub.start();
  const inventory = await startInventoryService({ CATALOG_URL: catalog.url, ...overrides }, redis);
  return {
    inventory,
    catalog,
    url: inventory.url,
    async stockedSku(units) {
      const sku = freshSku();
      catalog.add(sku);
      const reply = await post(`${inventory.url}/stock/${sku}/restock`, { qty: units });
      if (reply.status !== 200) throw new Error(`restock ${sku}: ${reply.status} ${JSON.stringify(reply.body)}`);
      return sku;
    },
    async close() {
      await inventory.close();
      await catalog.stop();
    },
  };
}
