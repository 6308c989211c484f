import type { RunningService } from './process.js';

/** A REST call to a service under test with a bearer token; a `json` body is encoded. */
export async function call(
  service: RunningService,
  path: string,
  token: string,
  init: {
    method?: string;
    json?: unknown;
    body?: string;
    contentType?: string;
    headers?: Record<string, string>;
    signal?: AbortSignal;
  } = {},
): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, ...init.headers };
  let body: string | undefined = init.body;
  if (init.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.contentType !== undefined) {
    headers['Content-Type'] = init.contentType;
  }
  return fetch(`${service.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: body ?? null,
    ...(init.signal === undefined ? {} : { signal: init.signal }),
  });
}

/** The JSON body of a response that must have `status` (else an error with what came instead). */
export async function json<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  if (response.status !== status) {
    throw new Error(`expected ${status}, got ${response.status}: ${text.slice(0, 500)}`);
  }
  return JSON.parse(text) as T;
}
