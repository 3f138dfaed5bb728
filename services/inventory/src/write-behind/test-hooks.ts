import type { Batch, FlushHooks } from '@cachelab/cache';

export type PauseStage = 'claimed' | 'applied';

/**
 * The SIGKILL tests need "mid-batch" to be a place, not a moment: with WRITE_BEHIND_PAUSE_AT the
 * worker stops at that step of its first non-empty batch, says so on stdout (the test waits for
 * the line), and waits until `released` (shutdown begins) or until it is killed.
 */
export function pauseHooks(stage: PauseStage | undefined, released: Promise<void>): FlushHooks {
  if (!stage) return {};
  let paused = false;
  const pause = async (at: PauseStage, batch: Batch) => {
    if (at !== stage || paused) return;
    paused = true;
    process.stdout.write(`write-behind paused ${at} ${batch.id}\n`);
    await released;
  };
  return { beforeApply: (batch) => pause('claimed', batch), beforeAck: (batch) => pause('applied', batch) };
}
