import type { Figures } from './figures';
import type { RunArtifacts } from './run-artifacts';
import type { SpanSet } from './read-spans';

/** Everything a report is written from. */
export interface ReportContext {
  figures: Figures;
  spans: Omit<SpanSet, 'spans'>;
  artifacts: RunArtifacts;
  sinceMs: number;
  untilMs: number;
  /** k6 HTML reports are linked relative to the page: the path from the page's folder to the reports folder. */
  reportsHref: string;
}

export function sourceLine({ figures, spans, sinceMs }: ReportContext): string {
  const note = spans.note ? ` (${spans.note})` : '';
  return `${figures.spanCount} spans in ${figures.traceCount} traces, read from ${spans.source === 'zipkin' ? 'Zipkin' : 'the span files'} at ${spans.from}${note}, since ${new Date(sinceMs).toISOString()}`;
}
