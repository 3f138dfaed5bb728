import type { Attributes } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

// What of the resource becomes a tag on every span in Zipkin: enough to tell instances apart.
// The rest (process.command_args, host.arch, telemetry.sdk.*, ...) would be a dozen more tags on
// each of thousands of spans, in the UI and in Zipkin's memory. service.name is Zipkin's own
// service name (localEndpoint.serviceName), not a tag.
const RESOURCE_TAGS = ['service.version', 'service.instance.id'];

/** The tag that names a span's links (Zipkin has no links): `<traceId>-<spanId>`, comma-separated. */
export const LINKS_TAG = 'otel.links';
// A write-behind flush may link to hundreds of requests: the tag names the first ones only.
const MAX_LINKS_IN_TAG = 20;

/**
 * A span as Zipkin should see it: the same span (its methods and fields are inherited), with a
 * trimmed resource, and its links as a tag so that a coalesced follower still names its leader
 * (paste the trace id into Zipkin's search to open it).
 */
function forZipkin(span: ReadableSpan): ReadableSpan {
  const resource = Object.create(span.resource, { attributes: { value: pick(span.resource.attributes) } }) as ReadableSpan['resource'];
  const overrides: PropertyDescriptorMap = { resource: { value: resource } };
  if (span.links.length > 0) {
    const named = span.links.slice(0, MAX_LINKS_IN_TAG).map((link) => `${link.context.traceId}-${link.context.spanId}`);
    if (span.links.length > MAX_LINKS_IN_TAG) named.push(`+${span.links.length - MAX_LINKS_IN_TAG} more`);
    const links = named.join(',');
    overrides.attributes = { value: { ...span.attributes, [LINKS_TAG]: links } satisfies Attributes };
  }
  return Object.create(span, overrides) as ReadableSpan;
}

function pick(attributes: Attributes): Attributes {
  const kept: Attributes = {};
  for (const key of RESOURCE_TAGS) if (attributes[key] !== undefined) kept[key] = attributes[key];
  return kept;
}

/**
 * Sends spans to a Zipkin server as Zipkin v2 JSON (`POST <url>`, e.g.
 * http://127.0.0.1:9411/api/v2/spans) through @opentelemetry/exporter-zipkin. Zipkin's service
 * name is the span's `service.name`; attributes become tags, events annotations.
 */
export class ZipkinSpanExporter implements SpanExporter {
  private readonly inner: SpanExporter;

  constructor(url: string, serviceName: string) {
    const { ZipkinExporter } = require('@opentelemetry/exporter-zipkin') as typeof import('@opentelemetry/exporter-zipkin');
    // Named here because forZipkin's resource no longer carries service.name.
    this.inner = new ZipkinExporter({ url, serviceName });
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans.map(forZipkin), resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
