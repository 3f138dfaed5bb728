/** What `call` answers: the status, the parsed body, the x-cache header and all headers. */
export interface Reply<T = any> {
  status: number;
  body: T;
  /** The `x-cache` header (hit, miss, stale, ...), null when the route is not cached. */
  cache: string | null;
  headers: Headers;
}

/**
 * A small JSON client for the tests: `json` is sent as an application/json body, and the reply's
 * body is parsed when it is JSON (kept as text otherwise, so the test can say what it expected).
 */
export async function call<T = any>(url: string, init: RequestInit & { json?: unknown } = {}): Promise<Reply<T>> {
  const { json, ...rest } = init;
  const response = await fetch(url, {
    ...rest,
    headers: json === undefined ? rest.headers : { 'content-type': 'application/json', ...rest.headers },
    body: json === undefined ? rest.body : JSON.stringify(json),
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text, the test will say what it expected
  }
  return { status: response.status, body, cache: response.headers.get('x-cache'), headers: response.headers };
}

/** POST with an optional JSON body. */
export const post = <T = any>(url: string, json?: unknown) => call<T>(url, { method: 'POST', json });
