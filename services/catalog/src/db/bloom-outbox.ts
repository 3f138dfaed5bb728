import type { BacklogListener, BloomBacklog, BloomId } from '@cachelab/cache';
import { createLogger, originQueries } from '@cachelab/telemetry';
import { Client } from 'pg';
import type { Prisma } from './client';

/** The channel the "Product_bloom_outbox" trigger notifies (see its migration). */
export const BLOOM_OUTBOX_CHANNEL = 'bloom_outbox';

const ids = (list: readonly BloomId[]) => list.map(Number);

/**
 * The Bloom filter's backlog in the catalog database: table "BloomOutbox", filled by an AFTER
 * INSERT trigger on "Product" in the inserting transaction (API, import, seed, plain SQL alike),
 * announced by `pg_notify('bloom_outbox', ...)` at commit. Queries go through the service's
 * Prisma pool; notifications need a connection of their own (LISTEN is per session), reopened
 * every `reconnectMs` while Postgres is unreachable.
 */
export class PostgresBloomBacklog implements BloomBacklog {
  private readonly log = createLogger('bloom-outbox');
  private listener: BacklogListener | undefined;
  private client: Client | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly prisma: Prisma,
    private readonly databaseUrl: string,
    private readonly reconnectMs = 1_000,
  ) {}

  async pending(limit: number): Promise<BloomId[]> {
    originQueries.inc({ operation: 'bloom-outbox.read' });
    const rows = await this.prisma.$queryRaw<{ productId: number }[]>`
      SELECT "productId" FROM "BloomOutbox" ORDER BY "productId" LIMIT ${limit}`;
    return rows.map((row) => row.productId);
  }

  async done(list: readonly BloomId[]): Promise<void> {
    if (list.length === 0) return;
    originQueries.inc({ operation: 'bloom-outbox.delete' });
    await this.prisma.$executeRaw`DELETE FROM "BloomOutbox" WHERE "productId" = ANY(${ids(list)}::int[])`;
  }

  async waiting(list: readonly BloomId[]): Promise<number> {
    originQueries.inc({ operation: 'bloom-outbox.waiting' });
    const [row] = await this.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM "BloomOutbox" WHERE "productId" = ANY(${ids(list)}::int[])`;
    return row?.n ?? 0;
  }

  /**
   * The newest drained products, and `random` more drawn uniformly over the id range (one index
   * probe each, no scan of the table). One statement, so one snapshot: a product and its outbox
   * row are seen together or not at all.
   */
  async auditSample(newest: number, random: number): Promise<BloomId[]> {
    originQueries.inc({ operation: 'bloom-outbox.audit-sample' });
    const rows = await this.prisma.$queryRaw<{ id: number }[]>`
      WITH bounds AS (SELECT min(id) AS lo, max(id) AS hi FROM "Product"),
      candidates AS (
        (SELECT id FROM "Product" ORDER BY id DESC LIMIT ${newest})
        UNION
        SELECT p.id FROM bounds, generate_series(1, ${random}::int) AS g,
          LATERAL (SELECT id FROM "Product"
                    WHERE id >= bounds.lo + floor(random() * (bounds.hi - bounds.lo + 1) + 0 * g)::int
                    ORDER BY id LIMIT 1) AS p
      )
      SELECT c.id FROM candidates c
       WHERE NOT EXISTS (SELECT 1 FROM "BloomOutbox" o WHERE o."productId" = c.id)`;
    return rows.map((row) => row.id);
  }

  async watch(listener: BacklogListener): Promise<void> {
    this.listener = listener;
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnect);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client({ connectionString: this.databaseUrl, keepAlive: true, connectionTimeoutMillis: 5_000 });
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.log.warn({ err: error }, 'Bloom outbox notifications lost; reconnecting');
      this.listener?.live(false);
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', () => this.listener?.changed());
    try {
      await client.connect();
      await client.query(`LISTEN ${BLOOM_OUTBOX_CHANNEL}`);
    } catch (error) {
      onLost(error as Error);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.listener?.live(true);
  }

  private scheduleReconnect(): void {
    clearTimeout(this.reconnect);
    this.reconnect = setTimeout(() => void this.connect().catch(() => undefined), this.reconnectMs);
    this.reconnect.unref();
  }
}
