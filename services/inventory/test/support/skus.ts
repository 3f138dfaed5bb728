/**
 * SKUs for one test: numbers far above the seeded SKU-1..SKU-5000 and unique per process and
 * call, because the tests share the Redis servers with the running stack (and with other runs).
 */
let next = 0;
const base = 1_000_000_000 + (process.pid % 100_000) * 10_000 + Math.floor(Math.random() * 9_000);

export function freshSku(): string {
  next += 1;
  return `SKU-${base + next}`;
}

let order = 0;
export function freshOrderId(label = 'order'): string {
  order += 1;
  return `${label}-${process.pid}-${Date.now().toString(36)}-${order}`;
}
