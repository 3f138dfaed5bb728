import { join } from 'node:path';
import { readSpanFiles } from './read-span-files';
import { DEFAULT_ZIPKIN_URL, readZipkin, zipkinAnswers } from './read-zipkin';
import type { Span, SpanSource } from './span';

export interface ReadSpansOptions {
  /** `auto`: Zipkin when it answers and holds spans of the window, else the span files. */
  source: SpanSource | 'auto';
  sinceMs: number;
  untilMs: number;
  /** `$CACHELAB_STATE_DIR`: the span files are in its `traces/` folder. */
  stateDir: string;
  zipkinUrl?: string;
  /** Most traces asked from Zipkin per service. */
  zipkinLimit?: number;
}

export interface SpanSet {
  source: SpanSource;
  /** Where they were read: the Zipkin URL or the span folder. */
  from: string;
  spans: Span[];
  /** Why `auto` chose this source. */
  note?: string;
}

export async function readSpans(options: ReadSpansOptions): Promise<SpanSet> {
  const zipkinUrl = options.zipkinUrl ?? DEFAULT_ZIPKIN_URL;
  const dir = join(options.stateDir, 'traces');
  const window = { sinceMs: options.sinceMs, untilMs: options.untilMs };
  const fromFiles = async (note?: string): Promise<SpanSet> => ({
    source: 'files',
    from: dir,
    spans: await readSpanFiles({ dir, ...window }),
    ...(note ? { note } : {}),
  });
  const fromZipkin = async (): Promise<SpanSet> => ({
    source: 'zipkin',
    from: zipkinUrl,
    spans: await readZipkin({ url: zipkinUrl, ...window, limit: options.zipkinLimit ?? 100_000 }),
  });

  if (options.source === 'files') return fromFiles();
  if (options.source === 'zipkin') return fromZipkin();
  if (!(await zipkinAnswers(zipkinUrl))) return fromFiles(`no Zipkin answers at ${zipkinUrl}`);
  const zipkin = await fromZipkin();
  if (zipkin.spans.length > 0) return zipkin;
  return fromFiles(`Zipkin at ${zipkinUrl} holds no span of this window`);
}
