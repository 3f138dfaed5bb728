import { z } from 'zod';

/** An integer written in decimal, e.g. `envInt(1, 65535)` for a port. */
export function envInt(min: number, max: number) {
  const message = `expected an integer ${min}..${max}`;
  return z
    .string()
    .regex(/^-?\d+$/, message)
    .transform(Number)
    .pipe(z.int({ error: message }).min(min, message).max(max, message));
}

export const port = envInt(1, 65535);

/**
 * Orchestrators write unset variables as empty strings (`FOO=${FOO:-}` in compose files), so an
 * empty optional value means "not set" rather than "invalid".
 */
export function optionalVar<S extends z.ZodType>(schema: S) {
  return z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
}
