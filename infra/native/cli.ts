import { parseArgs } from 'node:util';
import { stderrLogger } from './log';
import { parseRedisMode } from './services';
import { down, up } from './stack';
import { formatStatus, stackStatus, type StackStatus } from './status';

const USAGE = `usage: npm run stack -- <command> [options]

  up       start what is not running (idempotent): Redis Cluster, Sentinel group, Postgres,
           Zipkin (the trace UI, needs Java 17), Jaeger (when installed) and the services,
           then print the status
             --infra          only Redis Cluster, Sentinel group and Postgres
             --mode <mode>    REDIS_MODE for the services: cluster (default), sentinel, standalone
  down     stop what \`up\` started
  status   check everything for real; exit code 0 only when all of it is healthy
             --infra          check only the infrastructure

  --json   print the status as JSON (up, status)`;

function print(status: StackStatus, json: boolean): void {
  process.stdout.write(`${json ? JSON.stringify(status, null, 2) : formatStatus(status)}\n`);
}

/** `npm run stack -- ...`; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { infra: { type: 'boolean' }, mode: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const json = values.json === true;
  switch (values.help ? 'help' : positionals[0]) {
    case 'up': {
      const mode = values.mode === undefined ? undefined : parseRedisMode(values.mode);
      const { status, errors } = await up({ infraOnly: values.infra === true, ...(mode ? { mode } : {}), log: stderrLogger });
      for (const error of errors) process.stderr.write(`\x1b[31m[stack] ${error}\x1b[0m\n`);
      print(status, json);
      return errors.length === 0 && status.ok ? 0 : 1;
    }
    case 'down':
      await down({ log: stderrLogger });
      return 0;
    case 'status': {
      const status = await stackStatus(values.infra ? { scope: 'infra' } : {});
      print(status, json);
      return status.ok ? 0 : 1;
    }
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}
