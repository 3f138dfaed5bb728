import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '@cachelab/telemetry';

export interface ServeOptions {
  port: number;
  host?: string;
  /** Run in order after the last request finished (close Redis, Prisma, flush telemetry). */
  onShutdown?: Array<() => Promise<void>>;
  /** After a signal, the process exits with 1 if shutdown has not finished by then. */
  shutdownTimeoutMs?: number;
  /** How long in-flight requests may take before their connections are cut; half the budget by default, leaving the rest to the hooks. */
  drainTimeoutMs?: number;
  /** Exit on SIGTERM/SIGINT after shutting down; tests turn this off and call close(). */
  handleSignals?: boolean;
  logger?: Logger;
}

export interface Served {
  server: Server;
  /** The bound port: the one the OS picked when 0 was asked for. */
  port: number;
  /** Stops accepting, lets in-flight requests finish, runs the hooks. Idempotent; never exits. */
  close(): Promise<void>;
}

/**
 * Node keeps a keep-alive connection open after its last response until the idle timeout, so
 * server.close() alone waits seconds. While draining, responses say `Connection: close` and
 * idle sockets are closed as each in-flight response ends.
 */
function trackInFlight(server: Server) {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  server.on('request', (_req, res: ServerResponse) => {
    if (draining) res.setHeader('connection', 'close');
    inFlight.add(res);
    res.once('close', () => {
      inFlight.delete(res);
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
  });
  return () => {
    draining = true;
    for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    server.closeIdleConnections();
  };
}

function drain(server: Server, startDraining: () => void, timeoutMs: number, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      logger.warn({ timeoutMs }, 'requests still in flight at the drain timeout; closing their connections');
      server.closeAllConnections();
    }, timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    startDraining();
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function serve(app: RequestListener, options: ServeOptions): Promise<Served> {
  const logger = options.logger ?? createLogger('http');
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const drainTimeoutMs = options.drainTimeoutMs ?? shutdownTimeoutMs / 2;
  const hooks = options.onShutdown ?? [];

  // The tracker listens before the app so it sees a request before the app can answer it.
  const server = createServer();
  const startDraining = trackInFlight(server);
  server.on('request', app);
  const port = await listen(server, options.port, options.host ?? '0.0.0.0');
  logger.info({ port, host: options.host ?? '0.0.0.0' }, 'listening');

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= shutdown());

  async function shutdown(): Promise<void> {
    removeSignalHandlers();
    await drain(server, startDraining, drainTimeoutMs, logger);
    for (const hook of hooks) {
      // One failing hook must not keep the others (e.g. the telemetry flush) from running.
      await hook().catch((error: unknown) => logger.error({ err: error }, 'shutdown hook failed'));
    }
    logger.info('shut down');
  }

  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    // Not unref'd: a hook awaiting a promise nothing will settle must end in exit 1, not a quiet exit 0.
    setTimeout(() => {
      logger.error({ shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, shutdownTimeoutMs);
    // A second Ctrl-C means "now".
    process.once('SIGINT', () => process.exit(130));
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  function removeSignalHandlers() {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  if (options.handleSignals ?? true) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  return { server, port, close };
}
