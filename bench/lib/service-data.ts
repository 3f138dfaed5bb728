import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { repoRoot } from '../../infra/native/paths';

const run = promisify(execFile);

/** `node --import tsx services/<service>/scripts/<script>.ts` with `env` added; its output on failure. */
export async function runServiceScript(service: string, script: string, env: Record<string, string>): Promise<void> {
  const cwd = path.join(repoRoot, 'services', service);
  try {
    await run(process.execPath, ['--import', 'tsx', path.join('scripts', script)], { cwd, env: { ...process.env, ...env }, timeout: 180_000 });
  } catch (error) {
    const output = (error as { stderr?: string; stdout?: string }).stderr || (error as { stdout?: string }).stdout || '';
    throw new Error(`services/${service}/scripts/${script} failed: ${(error as Error).message}\n${output.trim().split('\n').slice(-10).join('\n')}`);
  }
}

/** How many of the rows `1..upTo` of `table` exist (0 when the table does not exist yet). */
export async function countIds(databaseUrl: string, table: string, upTo: number): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const exists = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [`"${table}"`]);
    if (exists.rows[0]?.found === null) return 0;
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}" WHERE id BETWEEN 1 AND $1`, [upTo]);
    return rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}
