// Reading the scenarios' knobs from the environment (`k6 run -e NAME=value` or the process
// environment), failing at start-up with the variable's name rather than running a wrong test.

/** @returns {string} */
export function stringEnv(name, fallback) {
  const value = __ENV[name];
  return value === undefined || value === '' ? fallback : value;
}

/**
 * @param {string} name
 * @param {number} fallback
 * @param {{ min?: number, max?: number, integer?: boolean }} [limits]
 */
export function numberEnv(name, fallback, { min = -Infinity, max = Infinity, integer = false } = {}) {
  const raw = stringEnv(name, undefined);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a number';
    throw new Error(`${name}=${raw} is not ${kind} in [${min}, ${max}]`);
  }
  return value;
}

/** A k6 duration such as "30s", "2m" or "1m30s". */
export function durationEnv(name, fallback) {
  const value = stringEnv(name, fallback);
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(value)) throw new Error(`${name}=${value} is not a duration like 30s, 2m or 1m30s`);
  return value;
}

// Load is only ever sent to this machine.
const LOOPBACK = /^https?:\/\/(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d{1,5})?\/?$/;

/** The base URL of the service under test, without a trailing slash; loopback addresses only. */
export function loopbackBaseUrl(name, fallback) {
  const value = stringEnv(name, fallback);
  if (!LOOPBACK.test(value)) {
    throw new Error(`${name}=${value}: load tests only target this machine (http://127.0.0.1:PORT, http://localhost:PORT or http://[::1]:PORT)`);
  }
  return value.replace(/\/$/, '');
}
