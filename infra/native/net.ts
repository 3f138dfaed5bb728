import * as net from 'node:net';
import { HOST } from './topology';

/** True when something accepts TCP connections on the port (whoever it is). */
export function tcpOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** GET with a deadline; rejects when nothing answers. */
export async function httpGet(url: string, timeoutMs = 1500): Promise<HttpAnswer> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: (await response.text()).slice(0, 500) };
}

/** Throws when something we could not talk to (another server, or ours with another password) holds the port. */
export async function assertPortFree(port: number, expected: string): Promise<void> {
  if (await tcpOpen(port)) {
    throw new Error(
      `port ${port} is in use, but not by ${expected} that answers with the cachelab credentials ` +
        '(another program, or a server started with another password: stop it, e.g. `npm run stack -- down`)',
    );
  }
}
