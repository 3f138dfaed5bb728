import type { Request } from 'express';
import { z } from 'zod';
import { HttpError } from './errors';

export interface IssueDetail {
  path: string;
  message: string;
}

/** Issue-level `params.httpCode` lets a schema choose the error code (see `intId`). */
interface CodedIssueParams {
  httpCode?: string;
}

function details(error: z.core.$ZodError): IssueDetail[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    // One entry per unknown field reads better than "Unrecognized keys: a, b" at the object's path.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...path, key].join('.'), message: 'unknown field' }));
    }
    return [{ path: path.join('.'), message: issue.message }];
  });
}

function httpCodeOf(issue: z.core.$ZodIssue): string | undefined {
  return issue.code === 'custom' ? (issue.params as CodedIssueParams | undefined)?.httpCode : undefined;
}

/** The 400 for a failed parse: `validation_failed`, or the code every issue agrees on. */
export function validationError(error: z.core.$ZodError): HttpError {
  const codes = new Set(error.issues.map(httpCodeOf));
  const [only] = codes;
  if (codes.size === 1 && only !== undefined) {
    return new HttpError(400, only, error.issues[0]?.message ?? 'Invalid request', { issues: details(error) });
  }
  return new HttpError(400, 'validation_failed', 'Request validation failed', { issues: details(error) });
}

/**
 * Parses `value` or throws a 400. Unknown fields are rejected only when the schema says so:
 * build request bodies with `z.strictObject`, since `z.object` silently drops them.
 */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error);
  return result.data;
}

export const body = <S extends z.ZodType>(req: Request, schema: S): z.output<S> => parse(schema, req.body);
export const params = <S extends z.ZodType>(req: Request, schema: S): z.output<S> => parse(schema, req.params);
export const query = <S extends z.ZodType>(req: Request, schema: S): z.output<S> => parse(schema, req.query);

const CANONICAL_POSITIVE_INT = /^[1-9][0-9]{0,15}$/;

/**
 * A positive integer id, from a path segment (`"42"`) or a JSON number, up to `max`; anything
 * else is a 400 `invalid_id`. Only the canonical form is accepted ("042", "4e1", " 42" are not),
 * because ids become part of cache keys.
 */
export function intId(max = 2 ** 31 - 1) {
  return z.unknown().transform((value, ctx): number => {
    const id = typeof value === 'string' && CANONICAL_POSITIVE_INT.test(value) ? Number(value) : value;
    if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 1 && id <= max) return id;
    ctx.addIssue({
      code: 'custom',
      message: `expected a positive integer id no greater than ${max}`,
      params: { httpCode: 'invalid_id' } satisfies CodedIssueParams,
    });
    return z.NEVER;
  });
}
