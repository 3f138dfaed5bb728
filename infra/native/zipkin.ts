import * as fs from 'node:fs';
import { check, type Check } from './checks';
import { ensureJava, findJava, JAVA_HINT } from './java';
import type { Logger } from './log';
import { httpGet } from './net';
import { statePath } from './paths';
import { runningProcess, startAndWait, stopManaged } from './processes';
import { HOST, ZIPKIN_PORT, ZIPKIN_PROCESS } from './topology';
import { ensureZipkinJar, ZIPKIN_VERSION } from './zipkin-jar';

/**
 * The stack's trace UI: a Zipkin server with in-memory storage. Spans reach it from the services
 * (CACHELAB_ZIPKIN_URL, see services.ts) as Zipkin v2 JSON; the Lens UI is at /zipkin/.
 *
 * Memory is bounded twice: the store drops its oldest traces beyond MEM_MAX_SPANS spans, and the
 * JVM's heap, direct buffers, metaspace and code cache are capped. Measured with spans shaped like
 * the services' (docs/benchmarks.md): a span costs about 1.5 KB of heap, 100,000 spans fill ~220 MB
 * of the 288 MB heap, and the process then stays at ~420 MB resident however many spans arrive.
 * 200,000 spans in a 320 MB heap ended in an OutOfMemoryError.
 */
export const ZIPKIN_MAX_SPANS = 100_000;
const JVM_OPTIONS = [
  '-Xms64m',
  '-Xmx288m',
  // A small young generation leaves the old one room for the stored spans.
  '-Xmn48m',
  '-XX:MaxDirectMemorySize=64m',
  '-XX:MaxMetaspaceSize=160m',
  '-XX:ReservedCodeCacheSize=64m',
  '-Xss512k',
  // One GC thread and no per-region bookkeeping: the lean collector for a small heap on a small box.
  '-XX:+UseSerialGC',
  // The client compiler only: 30 MB less resident than with C2, still ~25,000 spans/s ingested.
  '-XX:TieredStopAtLevel=1',
  // A full heap ends the process (visibly `down` in stack status) rather than leaving it thrashing.
  '-XX:+ExitOnOutOfMemoryError',
];

/** The port Zipkin listens on: 9411, or CACHELAB_ZIPKIN_PORT (a second Zipkin for the launcher's own tests). */
export function zipkinPort(): number {
  const value = Number(process.env.CACHELAB_ZIPKIN_PORT);
  return Number.isInteger(value) && value > 0 ? value : ZIPKIN_PORT;
}

/**
 * The process name (pid file, log) of the Zipkin on `port`: `zipkin` for the stack's, and
 * `zipkin-<port>` for another one (the benchmarks run a Zipkin of their own beside the stack's).
 */
export const zipkinProcess = (port = zipkinPort()): string => (port === ZIPKIN_PORT ? ZIPKIN_PROCESS : `${ZIPKIN_PROCESS}-${port}`);

export const zipkinUrl = (port = zipkinPort()): string => `http://${HOST}:${port}`;
/** Where the services POST their spans. */
export const zipkinSpansUrl = (port = zipkinPort()): string => `${zipkinUrl(port)}/api/v2/spans`;
export const zipkinUiUrl = (port = zipkinPort()): string => `${zipkinUrl(port)}/zipkin/`;

/** True when a Zipkin answers /health with UP on its port (whoever started it). */
export async function zipkinAnswers(port = zipkinPort(), timeoutMs = 1000): Promise<boolean> {
  try {
    const answer = await httpGet(`${zipkinUrl(port)}/health`, timeoutMs);
    return answer.status === 200 && answer.body.includes('"UP"');
  } catch {
    return false;
  }
}

/** True when the stack's Zipkin is running (services then send their spans to it). */
export const zipkinRunning = (port = zipkinPort()): boolean => runningProcess(zipkinProcess(port)) !== null;

/** The pid of the Zipkin that ensureZipkin started on `port`, if it runs. */
export const zipkinPid = (port = zipkinPort()): number | undefined => runningProcess(zipkinProcess(port))?.pid;

/** What a running Zipkin must have been started with to be left alone by ensureZipkin. */
const launchOptions = (): string => [ZIPKIN_VERSION, ZIPKIN_MAX_SPANS, ...JVM_OPTIONS].join(' ');

export type ZipkinOutcome = { state: 'running' | 'started' } | { state: 'skipped'; reason: string };

/**
 * Starts the stack's Zipkin unless one answers already: finds (or installs) Java, downloads the
 * jar once, starts it and waits for /health. Without Java it says why in one line and resolves to
 * 'skipped': the services then keep writing span files only. Throws when Zipkin itself fails.
 */
export async function ensureZipkin(log: Logger, port = zipkinPort()): Promise<ZipkinOutcome> {
  const name = zipkinProcess(port);
  const running = runningProcess(name);
  if (running && running.meta?.options === launchOptions()) return { state: 'running' };
  if (running) {
    log('zipkin: restarting, its version or memory settings changed');
    await stopZipkin(port);
  } else if (await zipkinAnswers(port)) return { state: 'running' };
  const java = await ensureJava(log);
  if (!java) {
    log(`zipkin: skipped, no trace UI (spans go to .cachelab/traces/ only). ${JAVA_HINT}`);
    return { state: 'skipped', reason: 'no Java >= 17' };
  }
  const jar = await ensureZipkinJar(log);
  const dir = statePath(name);
  fs.mkdirSync(dir, { recursive: true });
  const started = Date.now();
  await startAndWait(
    {
      name,
      command: java.path,
      // Armeria, Zipkin's HTTP server, binds every interface unless told an address.
      args: [...JVM_OPTIONS, '-jar', jar, `--armeria.ports[0].ip=${HOST}`, `--armeria.ports[0].port=${port}`],
      cwd: dir,
      env: {
        ...process.env,
        STORAGE_TYPE: 'mem',
        MEM_MAX_SPANS: String(ZIPKIN_MAX_SPANS),
        QUERY_PORT: String(port),
        SELF_TRACING_ENABLED: 'false',
      },
      meta: { version: ZIPKIN_VERSION, port: String(port), options: launchOptions() },
    },
    () => zipkinAnswers(port),
    // About 5 s on an idle 2-core box, 20 s or more while the rest of the stack starts beside it.
    120_000,
  );
  log(`zipkin: started in ${((Date.now() - started) / 1000).toFixed(1)} s, UI ${zipkinUiUrl(port)} (Java ${java.major})`);
  return { state: 'started' };
}

export const stopZipkin = (port = zipkinPort()): Promise<boolean> => stopManaged(zipkinProcess(port), { timeoutMs: 15_000 });

/** Resident memory of the Zipkin we started, in MB; undefined when unknown. */
export function zipkinRssMb(port = zipkinPort()): number | undefined {
  const pid = zipkinPid(port);
  if (pid === undefined) return undefined;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Math.round(Number(kb) / 1024);
  } catch {
    return undefined;
  }
}

export async function zipkinChecks(): Promise<Check[]> {
  const port = zipkinPort();
  const processName = zipkinProcess(port);
  if (await zipkinAnswers(port, 1500)) {
    const rss = zipkinRssMb(port);
    return [check('zipkin', 'zipkin', 'ok', `UI ${zipkinUiUrl(port)}${rss === undefined ? '' : ` (${rss} MB resident)`}`, { port, processName })];
  }
  if (!(await findJava())) {
    return [check('zipkin', 'zipkin', 'skipped', 'no Java >= 17: no trace UI, spans in .cachelab/traces/ only', { port, processName, hint: JAVA_HINT })];
  }
  return [check('zipkin', 'zipkin', 'down', `no answer on ${port}`, { port, processName, hint: 'npm run stack -- up' })];
}
