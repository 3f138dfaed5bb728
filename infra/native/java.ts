import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from './log';

const run = promisify(execFile);

/** Zipkin 3 is built for Java 17. */
export const MIN_JAVA = 17;

/**
 * Debian's headless runtimes, oldest first: Debian 12 has 17, Debian 13 has 21 (any of them runs
 * Zipkin 3), and default-jre-headless is whatever the release calls its default.
 */
const DEBIAN_PACKAGES = ['openjdk-17-jre-headless', 'openjdk-21-jre-headless', 'default-jre-headless'];

export interface Java {
  path: string;
  major: number;
}

/** `openjdk version "17.0.15"` -> 17, `java version "1.8.0_321"` -> 8. */
export function javaMajor(versionOutput: string): number | undefined {
  const quoted = /version "([^"]+)"/.exec(versionOutput)?.[1];
  if (!quoted) return undefined;
  const [first, second] = quoted.split(/[._-]/).map(Number);
  return first === 1 ? second : first;
}

async function versionOf(file: string): Promise<number | undefined> {
  try {
    // `java -version` writes to stderr.
    const { stderr, stdout } = await run(file, ['-version'], { timeout: 10_000 });
    return javaMajor(`${stderr}\n${stdout}`);
  } catch {
    return undefined;
  }
}

function candidates(): string[] {
  const onPath = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, 'java'));
  const home = process.env.JAVA_HOME ? [path.join(process.env.JAVA_HOME, 'bin', 'java')] : [];
  let jvms: string[] = [];
  try {
    jvms = fs.readdirSync('/usr/lib/jvm').map((dir) => path.join('/usr/lib/jvm', dir, 'bin', 'java'));
  } catch {
    // not a Debian-style layout
  }
  return [...new Set([...home, ...onPath, ...jvms])].filter((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The first Java >= 17 among $JAVA_HOME, PATH and /usr/lib/jvm; undefined when there is none. */
export async function findJava(): Promise<Java | undefined> {
  for (const file of candidates()) {
    const major = await versionOf(file);
    if (major !== undefined && major >= MIN_JAVA) return { path: file, major };
  }
  return undefined;
}

const canApt = (): boolean => process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get');

/** What to tell a user whose machine has no Java we can use. */
export const JAVA_HINT = `Zipkin needs Java >= ${MIN_JAVA}: install one (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME, then npm run stack -- up`;

const known = (pkg: string, env: NodeJS.ProcessEnv): Promise<boolean> =>
  run('apt-cache', ['show', pkg], { env, timeout: 60_000 }).then(() => true, () => false);

/** The first of DEBIAN_PACKAGES that apt knows, refreshing its lists once when it knows none. */
async function debianPackage(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    for (const pkg of DEBIAN_PACKAGES) if (await known(pkg, env)) return pkg;
    if (attempt === 0) await run('apt-get', ['update', '-qq'], { env, timeout: 300_000 }).catch(() => undefined);
  }
  return undefined;
}

/**
 * A Java >= 17, installed from the distribution's packages when there is none and we are root
 * with apt-get (quietly, as scripts/bootstrap.sh installs Redis). Undefined when none can be had.
 */
export async function ensureJava(log: Logger): Promise<Java | undefined> {
  const found = await findJava();
  if (found || !canApt()) return found;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const pkg = await debianPackage(env);
  if (!pkg) return undefined;
  log(`zipkin: no Java >= ${MIN_JAVA} found; installing ${pkg} with apt-get`);
  try {
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { env, timeout: 600_000 });
  } catch (error) {
    log(`zipkin: apt-get install ${pkg} failed: ${(error as { stderr?: string }).stderr?.trim().split('\n').pop() ?? String(error)}`);
    return undefined;
  }
  return findJava();
}
