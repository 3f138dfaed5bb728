// Zipf-distributed integers in 1..n: P(k) is proportional to 1 / k^s, so a few ids are hot and most
// are cold, as with real user profiles. Uses rejection-inversion sampling (W. Hörmann and
// G. Derflinger, "Rejection-inversion to generate variates from monotone discrete distributions",
// 1996; the algorithm of Apache Commons RNG's RejectionInversionZipfSampler): constant time and
// memory per draw, where a cumulative table would cost every k6 VU n numbers of memory.

// log1p(x) / x and expm1(x) / x, with their series near 0 where the division loses precision.
function log1pOverX(x) {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}
function expm1OverX(x) {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));
}

/**
 * @param {number} n largest value (values are 1..n)
 * @param {number} s exponent; 0 is uniform, about 1 is "Zipf's law", larger is more skewed
 * @param {() => number} [random] uniform in [0, 1), for reproducible tests
 * @returns {() => number} a sampler
 */
export function zipfSampler(n, s, random = Math.random) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`zipf: n must be a positive integer, got ${n}`);
  if (!(s >= 0) || !Number.isFinite(s)) throw new Error(`zipf: s must be a finite number >= 0, got ${s}`);

  const h = (x) => Math.exp(-s * Math.log(x));
  // An antiderivative of h, and its inverse; both stay finite through s = 1 (where it is log x).
  const hIntegral = (x) => {
    const logX = Math.log(x);
    return expm1OverX((1 - s) * logX) * logX;
  };
  const hIntegralInverse = (x) => {
    const t = Math.max(x * (1 - s), -1); // rounding may push t just below -1, where log1p fails
    return Math.exp(log1pOverX(t) * x);
  };

  const hIntegralX1 = hIntegral(1.5) - 1;
  const hIntegralN = hIntegral(n + 0.5);
  const squeeze = 2 - hIntegralInverse(hIntegral(2.5) - h(2));

  return function sample() {
    for (;;) {
      const u = hIntegralN + random() * (hIntegralX1 - hIntegralN);
      const x = hIntegralInverse(u);
      const k = Math.min(Math.max(Math.floor(x + 0.5), 1), n);
      if (k - x <= squeeze || u >= hIntegral(k + 0.5) - h(k)) return k;
    }
  };
}

/** The exact probability of k under zipfSampler(n, s), for tests and for explaining a run. */
export function zipfProbability(k, n, s) {
  let norm = 0;
  for (let i = 1; i <= n; i++) norm += 1 / Math.pow(i, s);
  return 1 / Math.pow(k, s) / norm;
}
