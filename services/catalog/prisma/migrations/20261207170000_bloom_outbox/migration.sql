-- The Bloom filter's outbox: every product id committed and perhaps not yet in the filter.
-- Filled by the database itself, in the transaction that inserts the product, so that every way
-- of creating products (the API, the bulk import, the seed, plain SQL from another tool) is
-- covered and a crash loses nothing. Catalog instances drain it into the filter (BloomCoverage in
-- @cachelab/cache, PostgresBloomBacklog here) and delete what they added.

-- CreateTable
CREATE TABLE "BloomOutbox" (
    "productId" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BloomOutbox_pkey" PRIMARY KEY ("productId")
);

-- One trigger per statement, not per row: a seed of 5,000 rows writes the outbox in one INSERT
-- and sends one notification. The payload is the number of new ids (listeners drain the table,
-- they do not trust payloads); NOTIFY is delivered at commit, so listeners see committed rows.
CREATE FUNCTION "bloom_outbox_product_inserted"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    added integer;
BEGIN
    INSERT INTO "BloomOutbox" ("productId") SELECT id FROM new_products ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    IF added > 0 THEN
        PERFORM pg_notify('bloom_outbox', added::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER "Product_bloom_outbox"
    AFTER INSERT ON "Product"
    REFERENCING NEW TABLE AS new_products
    FOR EACH STATEMENT EXECUTE FUNCTION "bloom_outbox_product_inserted"();
