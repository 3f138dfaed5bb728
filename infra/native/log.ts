/** Progress messages of `up`/`down`; the library stays quiet unless given one. */
export type Logger = (message: string) => void;

export const silent: Logger = () => undefined;

export const stderrLogger: Logger = (message) => {
  process.stderr.write(`\x1b[36m[stack]\x1b[0m ${message}\n`);
};
