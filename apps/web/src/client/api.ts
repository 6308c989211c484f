/**
 * The public REST API, same origin (the gateway serves the UI at /ui and the API at /api/v1).
 * Every failure becomes an {@link ApiError} with a readable message; a 401 also ends the
 * session and hands control to the sign-in page.
 */
import { describeProblem, networkProblem, type ApiProblem } from '../lib/problem.js';
import { clearSession, loadSession, saveSession, type Session } from './session.js';
import type { Dataset, Me, TokenResponse } from './types.js';

export class ApiError extends Error {
  constructor(readonly problem: ApiProblem) {
    super(problem.message);
    this.name = 'ApiError';
  }

  get status(): number {
    return this.problem.status;
  }
}

export interface RequestOptions {
  readonly json?: unknown;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly signal?: AbortSignal;
  /** What the call does, for the error message ("Creating the detector"). */
  readonly action?: string;
}

export interface ApiResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface UploadRequest {
  readonly file: File;
  readonly name: string;
  readonly labelColumn?: string;
  /** Bytes sent so far and the total, as the browser reports upload progress. */
  readonly onProgress: (loaded: number, total: number) => void;
  readonly signal?: AbortSignal;
}

export class ApiClient {
  private session: Session | undefined = loadSession();

  /** `onUnauthorized` runs once a call answers 401 (expired or revoked token). */
  constructor(private readonly onUnauthorized: (message: string) => void) {}

  get signedIn(): boolean {
    if (this.session !== undefined && this.session.expiresAt <= Date.now()) this.signOut();
    return this.session !== undefined;
  }

  /** Exchanges an API key for an access token; the key itself is not kept. */
  async signIn(apiKey: string): Promise<Me> {
    const { body } = await this.send<TokenResponse>(
      'POST',
      '/api/v1/auth/token',
      {
        json: { apiKey },
        action: 'Signing in',
      },
      false,
    );
    this.session = saveSession(body.accessToken, body.expiresIn);
    return (await this.get<Me>('/api/v1/auth/me', { action: 'Reading your account' })).body;
  }

  signOut(): void {
    this.session = undefined;
    clearSession();
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.send<T>('GET', path, options, true);
  }

  post<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.send<T>('POST', path, options, true);
  }

  private async send<T>(
    method: string,
    path: string,
    options: RequestOptions,
    authenticated: boolean,
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (authenticated) {
      if (!this.signedIn || this.session === undefined) throw this.unauthorized(options.action);
      headers['Authorization'] = `Bearer ${this.session.accessToken}`;
    }
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    let response: Response;
    try {
      response = await fetch(withQuery(path, options.query), {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (error) {
      if (options.signal?.aborted === true) throw error;
      throw new ApiError(networkProblem(options.action, (error as Error).message));
    }
    const text = await response.text();
    if (!response.ok) {
      const problem = describeProblem(
        response.status,
        response.headers.get('content-type'),
        text,
        options.action,
      );
      if (response.status === 401 && authenticated) throw this.unauthorized(options.action);
      throw new ApiError(problem);
    }
    let parsed: unknown = undefined;
    if (text !== '' && /json/i.test(response.headers.get('content-type') ?? '')) {
      parsed = JSON.parse(text);
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /**
   * Uploads a dataset file with XMLHttpRequest, whose upload events (unlike fetch's) report
   * the bytes sent, so the progress bar is real. Multipart, field "file", as the dataset-service
   * accepts any browser file that way and infers the format from its type or name.
   */
  upload(request: UploadRequest): Promise<Dataset> {
    const action = `Uploading ${request.file.name}`;
    if (!this.signedIn || this.session === undefined) {
      return Promise.reject(this.unauthorized(action));
    }
    const token = this.session.accessToken;
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(
        'POST',
        withQuery('/api/v1/datasets', { name: request.name, labelColumn: request.labelColumn }),
      );
      xhr.setRequestHeader('Authorization', `Bearer ${token}`);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable) request.onProgress(event.loaded, event.total);
      });
      xhr.addEventListener('load', () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          try {
            resolve(JSON.parse(xhr.responseText) as Dataset);
          } catch (error) {
            reject(
              new ApiError(
                describeProblem(xhr.status, 'text/plain', (error as Error).message, action),
              ),
            );
          }
          return;
        }
        if (xhr.status === 401) {
          reject(this.unauthorized(action));
          return;
        }
        reject(
          new ApiError(
            describeProblem(
              xhr.status,
              xhr.getResponseHeader('content-type'),
              xhr.responseText,
              action,
            ),
          ),
        );
      });
      xhr.addEventListener('error', () =>
        reject(new ApiError(networkProblem(action, 'the connection failed'))),
      );
      xhr.addEventListener('abort', () =>
        reject(new DOMException('The upload was cancelled.', 'AbortError')),
      );
      request.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
      const form = new FormData();
      form.append('file', request.file, request.file.name);
      xhr.send(form);
    });
  }

  private unauthorized(action: string | undefined): ApiError {
    const message = 'Your session has expired or was revoked: sign in again.';
    this.signOut();
    this.onUnauthorized(message);
    return new ApiError({
      status: 401,
      code: 'UNAUTHENTICATED',
      message: action === undefined ? message : `${action} failed: ${message}`,
      fields: [],
      requestId: undefined,
    });
  }
}

/** `path?key=value&…`, leaving out undefined values. */
export function withQuery(
  path: string,
  query: Readonly<Record<string, string | number | undefined>> | undefined,
): string {
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${text}`;
}

/** Every page of a list, following `nextCursor`, up to `maxItems`. */
export async function listAll<T>(
  api: ApiClient,
  path: string,
  options: RequestOptions & { maxItems?: number } = {},
): Promise<T[]> {
  const items: T[] = [];
  const maxItems = options.maxItems ?? 1000;
  let cursor: string | undefined;
  do {
    const { body } = await api.get<{ items: T[]; nextCursor?: string }>(path, {
      ...options,
      query: { ...options.query, limit: 200, cursor },
    });
    items.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor !== undefined && items.length < maxItems);
  return items.slice(0, maxItems);
}
