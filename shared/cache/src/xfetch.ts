/**
 * Probabilistic early refresh ("XFetch", Vattani, Chierichetti and Lowenstein, VLDB 2015).
 *
 * Instead of every reader discovering the expiry at the same instant, each reader rolls a die:
 *
 *     now - delta * beta * ln(random())  >=  expiry
 *
 * `-ln(random())` is exponentially distributed, so the chance to refresh grows as expiry nears,
 * and grows sooner for values that are slow to compute (large `delta`). With many readers one of
 * them refreshes a little before expiry and the rest keep hitting. beta > 1 refreshes earlier,
 * beta < 1 later; 1 is the paper's optimum.
 */
export function shouldRefreshEarly(
  expiresAt: number,
  deltaMs: number,
  beta = 1,
  now: number = Date.now(),
  random: () => number = Math.random,
): boolean {
  const roll = Math.max(random(), Number.MIN_VALUE); // ln(0) is -Infinity: never refresh on 0
  return now - deltaMs * beta * Math.log(roll) >= expiresAt;
}
