import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from './log';
import { cacheDir } from './paths';

/** The Zipkin server pinned by this checkout: changing it downloads the new jar once. */
export const ZIPKIN_VERSION = '3.5.1';
/** sha256 of the exec jar below (Maven Central publishes only its sha1 and md5 beside it). */
const ZIPKIN_JAR_SHA256 = '7ac633a6832647e71e50012a5e3e91fbc7054414955261724526030faf271d8d';
const ZIPKIN_JAR_URL = `https://repo1.maven.org/maven2/io/zipkin/zipkin-server/${ZIPKIN_VERSION}/zipkin-server-${ZIPKIN_VERSION}-exec.jar`;

/** Where the jar is cached: outside the work tree, so every clone shares it (like k6 and Node). */
export const zipkinJarPath = (): string => path.join(cacheDir(), 'zipkin', `zipkin-server-${ZIPKIN_VERSION}-exec.jar`);

/** The exec jar of `io.zipkin:zipkin-server`, downloaded from Maven Central and verified on first use. */
export async function ensureZipkinJar(log: Logger): Promise<string> {
  const jar = zipkinJarPath();
  if (fs.existsSync(jar)) return jar;
  fs.mkdirSync(path.dirname(jar), { recursive: true });
  const started = Date.now();
  log(`zipkin: downloading zipkin-server ${ZIPKIN_VERSION} (130 MB, once) from Maven Central`);
  const response = await fetch(ZIPKIN_JAR_URL, { signal: AbortSignal.timeout(600_000) });
  if (!response.ok || !response.body) throw new Error(`GET ${ZIPKIN_JAR_URL} answered ${response.status}`);
  // Written under a name of its own and renamed once verified, so that nobody (another clone
  // downloading at the same time included) ever runs a half-written or corrupt jar.
  const partial = `${jar}.${process.pid}.part`;
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body), hashing, fs.createWriteStream(partial));
    const sha256 = hash.digest('hex');
    if (sha256 !== ZIPKIN_JAR_SHA256) throw new Error(`${ZIPKIN_JAR_URL} has sha256 ${sha256}, expected ${ZIPKIN_JAR_SHA256}`);
    fs.renameSync(partial, jar);
  } finally {
    fs.rmSync(partial, { force: true });
  }
  log(`zipkin: downloaded and verified in ${((Date.now() - started) / 1000).toFixed(1)} s (${jar})`);
  return jar;
}
