/**
 * `npm run compare`: the pattern comparison read from the traces of the last run (Zipkin, or the
 * span files when Zipkin is not running): a table on stdout, comparison.md and comparison.html
 * (charts) in .cachelab/reports/compare/. The figures are computed by @cachelab/compare
 * (tools/compare); docs/compare.md says what each one means.
 *
 * Usage: npm run compare -- [--since <epoch ms | ISO time>] [--until <epoch ms | ISO time>] [--source zipkin|files|auto] [--out <dir>]
 */
import { parseArgs } from 'node:util';
import { parseSince, runCompare } from '@cachelab/compare';

const USAGE = `npm run compare -- [--since <epoch ms | ISO time>] [--until <epoch ms | ISO time>] [--source zipkin|files|auto] [--out <dir>] [--zipkin <url>]

  --since   spans that started from then on (default: the last hour); the demo passes its start time
  --until   spans that started until then (default: now)
  --source  zipkin (the stack's Zipkin API), files ($CACHELAB_STATE_DIR/traces/*.jsonl), or auto
            (default: Zipkin when it answers and holds spans of the window, else the files)
  --out     where comparison.md and comparison.html go (default $CACHELAB_STATE_DIR/reports/compare)
  --zipkin  Zipkin's base URL (default http://127.0.0.1:9411)`;

function fail(message: string): never {
  console.error(`${message}\n\nusage: ${USAGE}`);
  process.exit(2);
}

function options() {
  try {
    return parseArgs({
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        source: { type: 'string', default: 'auto' },
        out: { type: 'string' },
        zipkin: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    return fail((error as Error).message);
  }
}

async function main(): Promise<void> {
  const values = options();
  if (values.help) {
    console.log(`usage: ${USAGE}`);
    return;
  }
  const source = values.source;
  if (source !== 'zipkin' && source !== 'files' && source !== 'auto') fail(`--source must be zipkin, files or auto, got ${JSON.stringify(source)}`);
  let since: number | undefined;
  let until: number | undefined;
  try {
    since = values.since === undefined ? undefined : parseSince(values.since);
    until = values.until === undefined ? undefined : parseSince(values.until, '--until');
  } catch (error) {
    fail((error as Error).message);
  }
  const result = await runCompare({
    source,
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(values.out ? { outDir: values.out } : {}),
    ...(values.zipkin ? { zipkinUrl: values.zipkin } : {}),
  });
  console.log(result.table);
  console.log(`\nMarkdown: ${result.markdownPath}\nHTML:     ${result.htmlPath}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
