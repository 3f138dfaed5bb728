export { runCompare, parseSince, type CompareOptions, type CompareResult } from './run-compare';
export { computeFigures, NO_OPERATION, type FigureRow, type Figures, type ServiceTotals, type Timeline } from './figures';
export { readSpans, type ReadSpansOptions, type SpanSet } from './read-spans';
export { readSpanFiles } from './read-span-files';
export { DEFAULT_ZIPKIN_URL, readZipkin, zipkinAnswers } from './read-zipkin';
export { readRunArtifacts, type LabComparison, type LabResults, type TraceLink } from './run-artifacts';
export type { Span, SpanSource } from './span';
