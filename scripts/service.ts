// npm run service -- <user|catalog|inventory> [--port N] [--mode cluster|sentinel|standalone]
// One more instance of a service, in the foreground, against the running native stack (to watch
// what caching does across instances). Same environment as `stack up` gives, except the port.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import { tcpOpen } from '../infra/native/net';
import { availableServices, parseRedisMode, serviceCommand, serviceEnv } from '../infra/native/services';
import { readStackState } from '../infra/native/stack-state';
import { CLUSTER_PORTS, POSTGRES_PORT, SERVICE_NAMES, SERVICE_PORTS, isServiceName } from '../infra/native/topology';

const USAGE = `usage: npm run service -- <${SERVICE_NAMES.join('|')}> [--port N] [--mode cluster|sentinel|standalone]`;

/** The service's own port when free, else the first free one of port+100, port+200, ... */
async function defaultPort(base: number): Promise<number> {
  for (let port = base; port < base + 1000; port += 100) if (!(await tcpOpen(port))) return port;
  throw new Error(`no free port found from ${base}; pass --port`);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { port: { type: 'string' }, mode: { type: 'string' } },
  });
  const name = positionals[0] ?? '';
  if (!isServiceName(name)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (!availableServices().includes(name)) {
    process.stderr.write(`services/${name}/src/main.ts does not exist yet\n`);
    return 1;
  }
  if (!(await tcpOpen(POSTGRES_PORT)) || !(await tcpOpen(CLUSTER_PORTS[0]))) {
    process.stderr.write('[service] the native stack does not seem to run: start it with `npm run stack -- up`\n');
  }
  const port = values.port ? Number(values.port) : await defaultPort(SERVICE_PORTS[name]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    process.stderr.write(`--port must be a TCP port, got ${values.port}\n`);
    return 2;
  }
  // Same Redis as the stack's instances: the mode the last `stack up` used, unless told otherwise.
  const mode = parseRedisMode(values.mode ?? process.env.REDIS_MODE ?? readStackState()?.mode);
  const env = serviceEnv(name, { PORT: String(port), REDIS_MODE: mode });
  process.stderr.write(`[service] ${name}-service on http://127.0.0.1:${port} (REDIS_MODE=${env.REDIS_MODE})\n`);
  const { command, args, cwd } = serviceCommand(name, 'src/main.ts');
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: 'inherit' });
  // Ctrl-C reaches the child from the terminal (same process group): we only wait for it to finish.
  process.on('SIGINT', () => undefined);
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0))));
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`[service] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
