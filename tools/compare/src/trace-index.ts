import type { Span } from './span';

const keyOf = (traceId: string, spanId: string) => `${traceId}/${spanId}`;

/** The spans of a run as trees: parents, children, and the request each span belongs to. */
export class TraceIndex {
  private readonly byKey = new Map<string, Span>();
  private readonly children = new Map<string, Span[]>();
  private readonly requests = new Map<Span, Span>();

  constructor(readonly spans: readonly Span[]) {
    for (const span of spans) this.byKey.set(keyOf(span.traceId, span.spanId), span);
    for (const span of spans) {
      if (span.parentId === null) continue;
      const parent = keyOf(span.traceId, span.parentId);
      if (!this.byKey.has(parent)) continue;
      const list = this.children.get(parent);
      if (list) list.push(span);
      else this.children.set(parent, [span]);
    }
  }

  parent(span: Span): Span | undefined {
    return span.parentId === null ? undefined : this.byKey.get(keyOf(span.traceId, span.parentId));
  }

  childrenOf(span: Span): readonly Span[] {
    return this.children.get(keyOf(span.traceId, span.spanId)) ?? [];
  }

  /** `span` and every span below it recorded by the same service (a call to another service is that service's request). */
  subtree(span: Span): Span[] {
    const found: Span[] = [];
    const stack = [span];
    while (stack.length > 0) {
      const next = stack.pop()!;
      found.push(next);
      for (const child of this.childrenOf(next)) if (child.service === span.service) stack.push(child);
    }
    return found;
  }

  /**
   * The request a span belongs to: its nearest SERVER span in the same service, else the top of
   * its service's part of the trace (a background job such as a write-behind flush).
   */
  requestOf(span: Span): Span {
    const known = this.requests.get(span);
    if (known) return known;
    let current = span;
    while (current.kind !== 'SERVER') {
      const parent = this.parent(current);
      if (!parent || parent.service !== span.service) break;
      current = parent;
    }
    this.requests.set(span, current);
    return current;
  }

  /** Whether `span` is below another span matching `test` in the same request. */
  hasAncestor(span: Span, test: (span: Span) => boolean): boolean {
    const request = this.requestOf(span);
    for (let current = this.parent(span); current; current = this.parent(current)) {
      if (test(current)) return true;
      if (current === request) return false;
    }
    return false;
  }

  /** The requests of the run: every SERVER span, and the top span of each background job. */
  requestSpans(): Span[] {
    return this.spans.filter((span) => this.requestOf(span) === span);
  }

  traceCount(): number {
    return new Set(this.spans.map((span) => span.traceId)).size;
  }
}
