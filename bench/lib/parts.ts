import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchPart } from './types';

/**
 * The registry is the folder: every `bench/<name>.ts` is a part exporting `part: BenchPart`,
 * except servers under test, named `*-server.ts`. Adding a benchmark means adding one file.
 */
export const BENCH_DIR = path.resolve(__dirname, '..');
const PART_FILE = /^([a-z0-9][a-z0-9-]*)\.ts$/;

export function availableParts(): string[] {
  return fs
    .readdirSync(BENCH_DIR)
    .map((file) => PART_FILE.exec(file)?.[1])
    .filter((name): name is string => name !== undefined && !name.endsWith('-server'))
    .sort();
}

export function loadPart(name: string): BenchPart {
  // Parts are CommonJS modules like the rest of the repo (tsx compiles them on require).
  const loaded = require(path.join(BENCH_DIR, `${name}.ts`)) as { part?: Partial<BenchPart> };
  const part = loaded.part;
  if (!part || typeof part.run !== 'function' || part.name !== name) {
    throw new Error(`bench/${name}.ts must export \`part\`: { name: '${name}', run(): Promise<BenchResult[]> }`);
  }
  return part as BenchPart;
}
