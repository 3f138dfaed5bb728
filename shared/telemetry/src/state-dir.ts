import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root: the nearest folder above this package whose package.json has workspaces. */
function findRepoRoot(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { workspaces } = JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown };
      if (workspaces !== undefined) return dir;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** `CACHELAB_STATE_DIR`, else `<repo>/.cachelab`. */
export function stateDir(): string {
  const fromEnv = process.env.CACHELAB_STATE_DIR;
  if (fromEnv) return fromEnv;
  return join(findRepoRoot(__dirname) ?? process.cwd(), '.cachelab');
}

/** Where spans of `serviceName` go when no OTLP endpoint is configured. */
export function traceFilePath(serviceName: string): string {
  return join(stateDir(), 'traces', `${serviceName}.jsonl`);
}
