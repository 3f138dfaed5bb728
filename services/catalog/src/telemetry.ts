// Imported first by main.ts: the OpenTelemetry SDK must hook `require` before express, ioredis
// and pg are loaded, or their calls are not traced.
import { startTelemetry } from '@cachelab/telemetry';

export const telemetry = startTelemetry({ serviceName: 'catalog-service' });
