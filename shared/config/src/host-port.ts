import { z } from 'zod';

export interface HostPort {
  host: string;
  port: number;
}

const BRACKETED_IPV6 = /^\[([^\]]+)\]:(\d{1,5})$/;
const HOST_PORT = /^([^\s:[\]]+):(\d{1,5})$/;

function parseEntry(entry: string): HostPort | undefined {
  const match = BRACKETED_IPV6.exec(entry) ?? HOST_PORT.exec(entry);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1]!, port };
}

/** `"h1:p1,h2:p2"` (IPv6 as `[::1]:p`) into `{ host, port }[]`; at least one entry, ports 1..65535. */
export const hostPortList = z.string().transform((raw, ctx): HostPort[] => {
  const entries = raw.split(',').map((entry) => entry.trim());
  const parsed: HostPort[] = [];
  for (const entry of entries) {
    const hostPort = parseEntry(entry);
    if (!hostPort) {
      ctx.addIssue({
        code: 'custom',
        input: raw,
        message: `expected host:port[,host:port...] with ports 1..65535 (bad entry ${JSON.stringify(entry)})`,
      });
      return z.NEVER;
    }
    parsed.push(hostPort);
  }
  return parsed;
});
