import * as fs from 'node:fs';
import { statePath } from './paths';
import { sleep } from './wait';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Serialises `up` and `down` across processes (a developer's terminal, `npm test`, test workers
 * calling ensureInfra): two launchers racing would start every server twice. The lock file holds
 * the owner's pid, so a lock left by a crashed launcher is taken over.
 */
export async function withStackLock<T>(fn: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const file = statePath('stack.lock');
  fs.mkdirSync(statePath(), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(fs.readFileSync(file, 'utf8').trim() || 0);
      // owner 0: the file was just created and its pid not written yet.
      if (owner > 0 && !alive(owner)) {
        fs.rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another stack up/down (pid ${owner}) holds ${file}`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}
