// Imported first by main.ts: the OpenTelemetry SDK must hook `require` before express, ioredis,
// pg and the outgoing http client are loaded, or their calls are not traced (and the call to the
// catalog would carry no traceparent).
import { startTelemetry } from '@cachelab/telemetry';

export const telemetry = startTelemetry({ serviceName: 'inventory-service' });
