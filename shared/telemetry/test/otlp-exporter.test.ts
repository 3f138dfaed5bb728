import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readSpans, runFixture, waitFor } from './helpers';

interface Received {
  method: string;
  url: string;
  contentType: string;
  body: string;
}

// A stand-in for an OTLP/HTTP receiver (a Jaeger or a collector): records every request and answers 200.
let collector: Server;
const received: Received[] = [];
let endpoint: string;
let stateDir: string;

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'cachelab-telemetry-'));
  collector = createServer(async (request, response) => {
    const body = await readBody(request);
    received.push({ method: request.method ?? '', url: request.url ?? '', contentType: request.headers['content-type'] ?? '', body });
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => collector.close(resolve));
  rmSync(stateDir, { recursive: true, force: true });
});

test('with OTEL_EXPORTER_OTLP_ENDPOINT set, spans are POSTed to <endpoint>/v1/traces, and still written to the span file', async () => {
  await runFixture('spans', { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, CACHELAB_STATE_DIR: stateDir, FIXTURE_SERVICE: 'otlp-test' });

  const post = await waitFor(
    () => received.find((request) => request.method === 'POST' && request.url === '/v1/traces' && request.body.includes('cache.get')),
    'a POST of the cache.get span on /v1/traces',
  );
  expect(post.contentType).toContain('application/json');
  expect(post.body).toContain('otlp-test');
  expect(readSpans(join(stateDir, 'traces', 'otlp-test.jsonl')).map((span) => span.name)).toContain('cache.get');
});

test('an unreachable collector costs the spans, not the shutdown: it resolves and logs a warning', async () => {
  // A port that was just free: nothing listens there.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));

  const run = await runFixture('spans', {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_EXPORTER_OTLP_TIMEOUT: '500',
    CACHELAB_STATE_DIR: stateDir,
  });

  expect(run.stdout).toContain('telemetry shutdown could not export the last spans');
});
