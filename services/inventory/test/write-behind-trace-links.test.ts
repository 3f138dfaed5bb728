import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpanRecord } from '@cachelab/telemetry';
import { afterAll, describe, expect, it } from 'vitest';
import { post } from './support/http';
import { spawnInventoryService, type ServiceProcess } from './support/service-process';
import { freshSku } from './support/skus';
import { closePool, stockRows, waitForPersisted, WriteBehindProbe, writeBehindEnv } from './support/write-behind-env';

/**
 * The flush runs in a BullMQ job started by a scheduler, long after the requests that counted the
 * views have answered: it cannot be their child. Each request's span context is kept beside the
 * pending counters and moves with the batch; the span that applies the batch links to them.
 * Checked on the real process's span file.
 */
const stateDir = mkdtempSync(join(tmpdir(), 'wb-traces-'));
const wb = writeBehindEnv();
let svc: ServiceProcess | undefined;
let probe: WriteBehindProbe | undefined;

afterAll(async () => {
  await svc?.stop();
  await probe?.close();
  await closePool();
  rmSync(stateDir, { recursive: true, force: true });
});

function spans(): SpanRecord[] {
  return readFileSync(join(stateDir, 'traces', 'inventory-service.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SpanRecord);
}

describe('trace links from the flush to the requests it persisted', () => {
  it('the span applying a batch links to the span of every view request in it', async () => {
    const sku = freshSku();
    await stockRows([sku]);
    probe = await WriteBehindProbe.open(wb);
    svc = await spawnInventoryService({ ...wb, CACHELAB_STATE_DIR: stateDir, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_BSP_SCHEDULE_DELAY: '50' });

    for (let i = 0; i < 5; i += 1) expect((await post(`${svc.url}/products/${sku}/views`)).status).toBe(202);
    await waitForPersisted(probe, [sku], { views: 5 });
    await svc.stop(); // SIGTERM: the last spans are exported before exit
    svc = undefined;

    const all = spans();
    const records = all.filter((s) => s.name === 'write-behind.record' && s.attributes['write_behind.sku'] === sku);
    expect(records).toHaveLength(5);
    for (const record of records) {
      // Each record span sits in the trace of its HTTP request.
      expect(all.some((s) => s.traceId === record.traceId && s.kind === 'SERVER')).toBe(true);
    }

    const applies = all.filter((s) => s.name === 'write-behind.apply' && s.links.some((l) => records.some((r) => r.spanId === l.spanId)));
    const linked = new Set(applies.flatMap((s) => s.links.map((l) => `${l.traceId}/${l.spanId}`)));
    for (const record of records) expect(linked).toContain(`${record.traceId}/${record.spanId}`);

    for (const apply of applies) {
      const flush = all.find((s) => s.spanId === apply.parentSpanId);
      expect(flush?.name).toBe('write-behind.flush');
      expect(apply.traceId).not.toBe(records[0]!.traceId); // a trace of its own, linked, not adopted
      expect(apply.attributes['write_behind.batch_result']).toBe('applied');
    }
  });
});
