// npm run stack -- up|down|status [--infra] [--mode cluster|sentinel] [--json]: the native stack.
import { main } from '../infra/native/cli';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`[stack] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
