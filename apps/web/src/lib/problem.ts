/**
 * Readable messages for failed API calls. The services answer `application/problem+json`
 * (RFC 9457, with a stable `code` and, for validation, per-field `errors`); the gateway answers
 * as Envoy does, in plain text (`no healthy upstream`, `upstream request timeout`).
 */

export interface ApiProblem {
  readonly status: number;
  /** The stable `code` of a problem document (`NOT_FOUND`, `VALIDATION_FAILED`, …). */
  readonly code: string | undefined;
  /** One line a person can act on. */
  readonly message: string;
  /** Per-field problems, "field: message". */
  readonly fields: readonly string[];
  /** The `requestId` to quote in a bug report, when the service sent one. */
  readonly requestId: string | undefined;
}

const STATUS_WORDS: Readonly<Record<number, string>> = {
  400: 'The request was refused',
  401: 'You are not signed in, or your session has expired',
  403: 'Your key does not allow this',
  404: 'Not found',
  405: 'This server does not allow that method here',
  409: 'That conflicts with the current state',
  413: 'Too large',
  415: 'That file type is not accepted',
  422: 'The input could not be used',
  429: 'Too many requests: wait a moment and try again',
  500: 'The server failed',
  502: 'The gateway got a bad answer from the service',
  503: 'The service is unavailable',
  504: 'The service did not answer in time',
};

/**
 * What went wrong, from the status, the response's Content-Type and its body text.
 * `action` names what was tried ("Uploading cardio.csv") and starts the message.
 */
export function describeProblem(
  status: number,
  contentType: string | null,
  body: string,
  action?: string,
): ApiProblem {
  const prefix = action === undefined ? '' : `${action} failed: `;
  const fallback = STATUS_WORDS[status] ?? `HTTP ${status}`;
  if (/json/i.test(contentType ?? '')) {
    const document = parseObject(body);
    if (document !== undefined) {
      const title = stringField(document, 'title');
      const detail = stringField(document, 'detail') ?? stringField(document, 'message');
      const fields = Array.isArray(document['errors'])
        ? document['errors'].flatMap((entry: unknown) => {
            if (typeof entry !== 'object' || entry === null) return [];
            const field = stringField(entry as Record<string, unknown>, 'field');
            const message = stringField(entry as Record<string, unknown>, 'message');
            return message === undefined
              ? []
              : [field === undefined ? message : `${field}: ${message}`];
          })
        : [];
      const text = detail ?? title ?? fallback;
      return {
        status,
        code: stringField(document, 'code'),
        message: `${prefix}${text}${/[.!?]$/.test(text) ? '' : '.'}`,
        fields,
        requestId: stringField(document, 'requestId'),
      };
    }
  }
  const text = body.trim().slice(0, 300);
  return {
    status,
    code: undefined,
    message: `${prefix}${fallback} (HTTP ${status}${text === '' ? '' : `: ${text}`}).`,
    fields: [],
    requestId: undefined,
  };
}

/** A request that got no answer at all (connection refused, offline, aborted by a proxy). */
export function networkProblem(action: string | undefined, reason: string): ApiProblem {
  const prefix = action === undefined ? '' : `${action} failed: `;
  return {
    status: 0,
    code: 'NETWORK',
    message: `${prefix}the server could not be reached (${reason}). Check your connection and try again.`,
    fields: [],
    requestId: undefined,
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function stringField(object: Record<string, unknown>, key: string): string | undefined {
  const value = object[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
