/** A small JSON client for the tests: status, parsed body and the x-cache header. */
export interface Reply<T = any> {
  status: number;
  body: T;
  cache: string | null;
  headers: Headers;
}

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

let counter = 0;
/** A unique email, so tests never collide on the unique index. */
export const freshEmail = () => `u${process.pid}.${Date.now()}.${counter++}@example.test`;
