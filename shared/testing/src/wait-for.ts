/**
 * Polls `check` until it returns a truthy value or the deadline passes. Tests wait for a
 * condition, never for a fixed time: a slow machine then only makes the test slower, not flaky.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 20, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A short random namespace so tests never see each other's keys. */
export const uniqueName = (prefix = 't') => `${prefix}${Math.random().toString(36).slice(2, 10)}`;
