import { z } from 'zod';

export type Env = Record<string, string | undefined>;

export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Thrown by `loadConfig`; the message names every bad variable, not just the first. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: ConfigProblem[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}`);
  }
}

/**
 * Validates the environment against `schema` in one pass and returns the typed result.
 * Call it once at startup and pass the result around: reading `process.env` later, piecemeal,
 * is how a typo survives until the first request that needs it.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Env = process.env): z.output<S> {
  const result = schema.safeParse(env, { error: describeIssue });
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => toProblem(issue, env)));
}

// A parse-level error map: messages a schema sets itself still win over these.
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join('|')}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'expected a URL' : `expected ${issue.format}`;
    default:
      return undefined;
  }
}

function toProblem(issue: z.core.$ZodIssue, env: Env): ConfigProblem {
  const variable = issue.path.map(String).join('.');
  if (!variable) return { variable: '(environment)', message: issue.message };
  const raw = env[String(issue.path[0])];
  if (raw !== undefined) return { variable, message: `${issue.message}, got ${show(variable, raw)}` };
  return { variable, message: issue.message === 'required' ? 'required' : `required, ${issue.message}` };
}

// The message ends up in logs: never print a secret, nor the password inside a URL.
function show(variable: string, raw: string): string {
  if (/PASSWORD|SECRET|TOKEN|KEY/i.test(variable)) return '<redacted>';
  return JSON.stringify(raw.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@'));
}
