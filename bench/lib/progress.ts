/** Progress goes to stderr, so that stdout holds only the results (tables, ratio lines). */
export function progress(message: string): void {
  process.stderr.write(`\x1b[36m[bench]\x1b[0m ${message}\n`);
}
