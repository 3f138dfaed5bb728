import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';

/**
 * The SERVER span of every incoming request, as a middleware (mounted first by http-kit's
 * createApp). It replaces the incoming side of `@opentelemetry/instrumentation-http` and the
 * `@opentelemetry/instrumentation-express` handler spans, which together cost about 100 µs of
 * CPU per request, sampled or not (docs/benchmarks.md); this one costs a few µs, and close to
 * nothing for a request the sampler drops. What a trace shows is the same: one SERVER span named
 * `GET /users/:id`, with the stable HTTP semantic-convention attributes, continuing the caller's
 * trace (W3C `traceparent`), parent of every span the request makes. The outgoing side of the
 * http instrumentation stays on: it puts `traceparent` on calls to other services.
 */

export const httpTracer = trace.getTracer('cachelab.http');

// Scrapes and probes arrive every few seconds and would outnumber real requests in any trace view.
const UNTRACED_PATHS = new Set(['/metrics', '/healthz', '/readyz']);

/** What Express adds to the request once a route matched. */
interface RoutedRequest extends IncomingMessage {
  baseUrl?: string;
  route?: { path?: unknown };
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function routeOf(req: RoutedRequest): string | undefined {
  const path = req.route?.path;
  return typeof path === 'string' ? `${req.baseUrl ?? ''}${path}` : undefined;
}

export function serverSpans() {
  return (req: RoutedRequest, res: ServerResponse, next: (error?: unknown) => void): void => {
    const path = pathOf(req.url ?? '/');
    if (UNTRACED_PATHS.has(path)) return next();

    const method = req.method ?? 'GET';
    const attributes: Attributes = {
      'http.request.method': method,
      'url.path': path,
      'url.scheme': 'http',
      'network.protocol.version': req.httpVersion,
      'server.port': req.socket.localPort,
      'client.address': req.socket.remoteAddress,
    };
    const userAgent = req.headers['user-agent'];
    if (userAgent !== undefined) attributes['user_agent.original'] = userAgent;

    // The caller's context (a `traceparent` header), or a new trace. The sampler decides here,
    // once: a dropped request gets a non-recording span that still carries the trace id and the
    // "not sampled" flag to the spans and services below it.
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = httpTracer.startSpan(method, { kind: SpanKind.SERVER, attributes }, parent);
    const active = trace.setSpan(parent, span);

    // 'close' fires once for every request: answered, failed or aborted by the client.
    res.once('close', () => {
      if (span.isRecording()) {
        const route = routeOf(req);
        if (route !== undefined) {
          span.updateName(`${method} ${route}`);
          span.setAttribute('http.route', route);
        }
        span.setAttribute('http.response.status_code', res.statusCode);
        // For a server, 4xx is the caller's mistake; only 5xx (and an unfinished answer) fail the span.
        // http-kit's error handler leaves an unexpected error on `res.err`.
        const error = (res as { err?: unknown }).err;
        if (error instanceof Error) span.recordException(error);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR, ...(error instanceof Error ? { message: error.message } : {}) });
        else if (!res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR, message: 'connection closed before the response was sent' });
      }
      span.end();
    });
    // Everything after this middleware runs in the span's context; body-parser carries it across
    // the socket reads of a large body itself (AsyncResource.bind), as the tests check.
    context.with(active, next);
  };
}
