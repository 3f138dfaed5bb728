import { performance } from 'node:perf_hooks';
import { CacheStore, drainBacklog } from '@cachelab/cache';
import { envInt, loadConfig } from '@cachelab/config';
import { seedTransaction } from '@cachelab/db';
import { closeRedis, createRedis, waitForReady } from '@cachelab/redis';
import { createLogger } from '@cachelab/telemetry';
import { z } from 'zod';
import { productBloomFilter } from '../src/caching/product-bloom';
import { loadCatalogConfig } from '../src/config';
import { PostgresBloomBacklog } from '../src/db/bloom-outbox';
import { createPrisma } from '../src/db/client';

/*
 * Seeds CATEGORIES categories (ids 1..CATEGORIES) and PRODUCTS products: product N has id N and
 * SKU `SKU-N` (the inventory service seeds stock for the same SKUs), a name and a description made
 * of catalog words (so that searches match a few to a few hundred products), a price, attributes,
 * a brand tag and, for one product in five, a promotion tag. Products are spread over the
 * categories unevenly, so some category listings are long.
 *
 * Deterministic, set-based (5,000 products in well under a second) and idempotent: it inserts
 * the seed rows that are missing and leaves existing ones alone, changed or not. Rewriting rows
 * behind the service's back would leave its cache stale, and restarting their versions would
 * make write-through refuse the next writes as older than what it has seen.
 *
 * Running catalog instances learn the new ids from the BloomOutbox table (a trigger fills it in
 * the seed's own transaction), within BLOOM_DRAIN_EVERY_MS. The seed does not leave it at that:
 * before it exits it drains the outbox into the Bloom filter itself, so that a product it seeded
 * is never answered "absent", even for a moment. When Redis is unreachable the services do it.
 */
const env = loadConfig(
  z.object({
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgresql:// URL' }),
    PRODUCTS: envInt(1, 1_000_000).default(5000),
    CATEGORIES: envInt(1, 1000).default(40),
  }),
);
const log = createLogger('catalog-seed');

const CATEGORY_NAMES = [
  'Books', 'Electronics', 'Grocery', 'Home', 'Toys', 'Sports', 'Beauty', 'Garden', 'Kitchen', 'Office',
  'Music', 'Movies', 'Games', 'Shoes', 'Clothing', 'Jewelry', 'Watches', 'Bags', 'Baby', 'Pets',
  'Tools', 'Automotive', 'Outdoors', 'Camping', 'Cycling', 'Fitness', 'Health', 'Lighting', 'Furniture', 'Bedding',
  'Bath', 'Crafts', 'Party', 'Travel', 'Phones', 'Computers', 'Cameras', 'Audio', 'Stationery', 'Snacks',
];
const ADJECTIVES = ['Classic', 'Compact', 'Deluxe', 'Eco', 'Ergonomic', 'Handmade', 'Lightweight', 'Modern', 'Premium', 'Rugged', 'Smart', 'Vintage', 'Wireless', 'Foldable', 'Portable', 'Organic'];
const MATERIALS = ['Bamboo', 'Canvas', 'Ceramic', 'Cotton', 'Glass', 'Leather', 'Linen', 'Maple', 'Steel', 'Wool', 'Copper', 'Oak'];
const NOUNS = ['Backpack', 'Blender', 'Bottle', 'Chair', 'Clock', 'Desk', 'Headphones', 'Jacket', 'Kettle', 'Lamp', 'Mug', 'Notebook', 'Pan', 'Pillow', 'Speaker', 'Tent', 'Towel', 'Umbrella', 'Wallet', 'Watch'];
const COLORS = ['black', 'blue', 'green', 'grey', 'orange', 'red', 'white', 'yellow'];
const BRANDS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka', 'tyrell', 'cyberdyne', 'soylent', 'vandelay'];
const PROMOS = ['spring', 'summer', 'autumn', 'winter'];

const pgArray = (words: string[]) => `ARRAY[${words.map((word) => `'${word}'`).join(', ')}]`;
const pick = (words: string[], expr: string) => `(${pgArray(words)})[1 + (${expr}) % ${words.length}]`;

const STATE = `
SELECT (SELECT count(*) FROM "Category" WHERE id <= $2)::int AS categories,
       (SELECT count(*) FROM "Product" WHERE id <= $1 AND sku = 'SKU-' || id)::int AS products`;

const INSERT_CATEGORIES = `
INSERT INTO "Category" (id, slug, name)
SELECT i, lower(${pick(CATEGORY_NAMES, 'i - 1')}) || CASE WHEN i > ${CATEGORY_NAMES.length} THEN '-' || i ELSE '' END,
       ${pick(CATEGORY_NAMES, 'i - 1')} || CASE WHEN i > ${CATEGORY_NAMES.length} THEN ' ' || i ELSE '' END
  FROM generate_series(1, $1::int) AS i
ON CONFLICT DO NOTHING`;

// Category: a skewed spread (category 1 gets the most products). Name and description draw on
// the word lists with different strides so that combinations vary.
const INSERT_PRODUCTS = `
INSERT INTO "Product" (id, sku, name, description, "priceCents", "categoryId", attributes, tags, "updatedAt")
SELECT i,
       'SKU-' || i,
       ${pick(ADJECTIVES, 'i * 7')} || ' ' || ${pick(MATERIALS, 'i * 5')} || ' ' || ${pick(NOUNS, 'i * 3')} || ' ' || i,
       'A ' || lower(${pick(ADJECTIVES, 'i * 11')}) || ' ' || lower(${pick(NOUNS, 'i * 3')}) || ' in ' || ${pick(COLORS, 'i')}
         || ' ' || lower(${pick(MATERIALS, 'i * 5')}) || ', by ' || initcap(${pick(BRANDS, 'i * 13')})
         || '. Made to last, easy to clean, and covered by a ' || (1 + i % 5) || '-year warranty.',
       99 + ((i::bigint * 7919) % 49901)::int,
       1 + floor($2::int * power(((i * 2654435761::bigint) % 1000) / 1000.0, 1.6))::int,
       jsonb_build_object('color', ${pick(COLORS, 'i')}, 'weightGrams', 100 + (i * 37) % 4900, 'material', lower(${pick(MATERIALS, 'i * 5')})),
       ARRAY['brand-' || ${pick(BRANDS, 'i * 13')}] || CASE WHEN i % 5 = 0 THEN ARRAY['promo-' || ${pick(PROMOS, 'i / 5')}] ELSE ARRAY[]::text[] END,
       now()
  FROM generate_series(1, $1::int) AS i
ON CONFLICT DO NOTHING`;

interface SeedState {
  categories: number;
  products: number;
}

async function main(): Promise<void> {
  const started = performance.now();
  await seedTransaction(env.DATABASE_URL, 'cachelab:catalog-seed', async (client) => {
    const state = (await client.query<SeedState>(STATE, [env.PRODUCTS, env.CATEGORIES])).rows[0]!;
    if (state.categories === env.CATEGORIES && state.products === env.PRODUCTS) {
      log.info({ ...state, ms: elapsed(started) }, 'seed data already present');
      return;
    }
    const categories = await client.query(INSERT_CATEGORIES, [env.CATEGORIES]);
    const products = await client.query(INSERT_PRODUCTS, [env.PRODUCTS, env.CATEGORIES]);
    // Explicit ids left the sequences behind; API-created rows must start above the seed.
    for (const table of ['Category', 'Product']) {
      await client.query(`SELECT setval(pg_get_serial_sequence('"${table}"', 'id'), GREATEST((SELECT max(id) FROM "${table}"), 1))`);
    }
    await client.query('ANALYZE "Category", "Product"');
    log.info({ categories: categories.rowCount, products: products.rowCount, ms: elapsed(started) }, 'seeded');
  });
  await drainBloomOutbox();
}

/** The new ids into the Bloom filter the catalog instances read (same key prefix and sizing). */
async function drainBloomOutbox(): Promise<void> {
  const config = loadCatalogConfig();
  if (!config.CACHE_ENABLED || !config.BLOOM_ENABLED) return;
  const started = performance.now();
  const redis = createRedis(config.redis, { purpose: 'cache', connectionName: 'catalog-seed', commandTimeoutMs: 5_000 });
  redis.on('error', () => undefined);
  const prisma = createPrisma(config.DATABASE_URL);
  const store = new CacheStore(redis, { name: 'catalog-seed-redis' });
  try {
    await waitForReady(redis, 5_000);
    const filter = productBloomFilter(store, prisma, config);
    const { ids } = await drainBacklog(filter, new PostgresBloomBacklog(prisma, config.DATABASE_URL));
    log.info({ ids, filter: filter.key, ms: elapsed(started) }, 'Bloom filter outbox drained');
  } catch (error) {
    log.warn({ err: error }, 'could not drain the Bloom filter outbox now: the catalog instances will');
  } finally {
    store.breaker.shutdown();
    await closeRedis(redis);
    await prisma.$disconnect();
  }
}

function elapsed(since: number): number {
  return Math.round(performance.now() - since);
}

main().catch((error: unknown) => {
  log.error({ err: error }, 'seed failed');
  process.exitCode = 1;
});
