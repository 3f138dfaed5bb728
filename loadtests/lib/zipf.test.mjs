// Checks the Zipf sampler against the exact distribution: `node --test loadtests/`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { zipfProbability, zipfSampler } from './zipf.js';

// A seeded generator (mulberry32), so that a failure can be reproduced.
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function frequencies(sample, draws) {
  const counts = new Map();
  for (let i = 0; i < draws; i++) {
    const k = sample();
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

for (const [n, s] of [[1000, 1.1], [1000, 1], [50, 0], [10, 2.5]]) {
  test(`zipf(n=${n}, s=${s}) matches the exact probabilities`, () => {
    const draws = 200_000;
    const counts = frequencies(zipfSampler(n, s, seeded(42)), draws);
    for (const k of counts.keys()) assert.ok(Number.isInteger(k) && k >= 1 && k <= n, `out of range: ${k}`);
    for (const k of [1, 2, 3, 10, Math.min(n, 100)]) {
      const expected = zipfProbability(k, n, s) * draws;
      const observed = counts.get(k) ?? 0;
      // Five standard deviations of a binomial count: fails by chance about once in two million.
      const tolerance = 5 * Math.sqrt(expected) + 1;
      assert.ok(Math.abs(observed - expected) <= tolerance, `k=${k}: observed ${observed}, expected ${expected.toFixed(0)}`);
    }
  });
}

test('zipf with n = 1 always answers 1', () => {
  const sample = zipfSampler(1, 1.1);
  for (let i = 0; i < 100; i++) assert.equal(sample(), 1);
});

test('zipf rejects nonsense parameters', () => {
  assert.throws(() => zipfSampler(0, 1.1), /n must be a positive integer/);
  assert.throws(() => zipfSampler(10, -1), /s must be a finite number/);
  assert.throws(() => zipfSampler(10, Number.NaN), /s must be a finite number/);
});
