import { z } from 'zod';
import { databaseEnv } from './database-env';
import { optionalVar, port } from './primitives';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * What every service reads. PORT has no default here because each service has its own:
 * `serviceEnv.extend({ PORT: port.default(3001) })`.
 */
export const serviceEnv = z.object({
  PORT: port,
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgresql:// URL' }),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalVar(z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' })),
  CACHELAB_STATE_DIR: optionalVar(z.string()),
  ...databaseEnv.shape,
});

export type ServiceEnv = z.output<typeof serviceEnv>;
