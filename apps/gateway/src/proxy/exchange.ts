import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ClusterStats, RequestOutcome } from '../observability/istio-metrics.js';
import {
  retriesFailure,
  retriesStatus,
  type RetryPolicy,
  type TryFailure,
} from '../routing/retry-policy.js';
import type { CompiledDestination, CompiledRoute } from '../routing/table.js';
import { applyHeaderEdits, forwardableResponseHeaders } from './headers.js';
import type { Deadline, Deadlines } from './deadlines.js';
import type { Upstream } from './pools.js';

/** Envoy's local reply texts, which clients and tests recognise. */
export const REPLY = {
  noHealthyUpstream: 'no healthy upstream',
  timeout: 'upstream request timeout',
  connectFailure:
    'upstream connect error or disconnect/reset before headers. reset reason: connection failure',
  reset:
    'upstream connect error or disconnect/reset before headers. reset reason: connection termination',
  overflow: 'upstream connect error or disconnect/reset before headers. reset reason: overflow',
  faultAbort: 'fault filter abort',
} as const;

/** Envoy buffers this much of a request body for retries; larger bodies are not retried. */
export const RETRY_BUFFER_BYTES = 1024 * 1024;

/** Envoy's retry back-off: 25 ms base, 250 ms cap, fully jittered. */
const BACKOFF_BASE_MS = 25;
const BACKOFF_MAX_MS = 250;

/** Writes a local reply (Envoy's: plain text, or empty). */
export function localReply(res: ServerResponse, status: number, body: string | Buffer): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(
    status,
    payload.length === 0
      ? { 'content-length': 0 }
      : { 'content-type': 'text/plain', 'content-length': payload.length },
  );
  res.end(payload);
}

/** The request body as the exchange sends it. */
export type RequestBody =
  | { readonly kind: 'none' }
  /** Read whole (at most RETRY_BUFFER_BYTES): can be sent again on a retry. */
  | { readonly kind: 'buffered'; readonly data: Buffer }
  /** Streamed once: `head` was read while deciding, the rest still comes from the client. */
  | { readonly kind: 'streamed'; readonly head: readonly Buffer[] };

export interface ExchangeOptions {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly route: CompiledRoute;
  readonly destination: CompiledDestination;
  readonly upstream: Upstream;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: RequestBody;
  readonly startedAt: number;
  readonly stats: ClusterStats;
  readonly deadlines: Deadlines;
  readonly finish: (outcome: RequestOutcome) => void;
}

/**
 * One client request forwarded upstream, with Envoy's router semantics: route timeout from the
 * end of the request body, tries with a per-try timeout and retries on the policy's
 * conditions, the response streamed back with back-pressure, and a failure after the response
 * began aborting the client connection (never a clean end of a truncated body).
 */
export class Exchange {
  private readonly retry: RetryPolicy | undefined;
  private tries = 0;
  private current: Attempt | undefined;
  private routeDeadline: Deadline | undefined;
  private requestComplete: boolean;
  private done = false;
  private flags: string[] = [];

  constructor(private readonly o: ExchangeOptions) {
    // A streamed body cannot be sent twice, so it gets one try (as Envoy past its buffer).
    this.retry = o.body.kind === 'streamed' ? undefined : o.route.retry;
    this.requestComplete = o.body.kind !== 'streamed';
    o.res.on('close', this.onClientClose);
  }

  start(): void {
    if (!this.requestComplete && this.o.req.readableEnded) this.requestComplete = true;
    if (this.requestComplete) {
      this.startRouteTimer();
    } else {
      this.o.req.once('end', () => {
        this.requestComplete = true;
        this.startRouteTimer();
        this.current?.requestCompleted();
      });
    }
    this.dispatch();
  }

  private startRouteTimer(): void {
    if (this.o.route.timeoutMs <= 0 || this.done) return;
    this.routeDeadline = this.o.deadlines.schedule(this.o.route.timeoutMs, () => {
      this.flags.push('UT');
      this.o.stats.timeout.inc();
      this.current?.cancel();
      this.fail(504, REPLY.timeout);
    });
  }

  private dispatch(): void {
    if (this.done) return;
    this.tries += 1;
    const attempt = new Attempt(
      this,
      this.o.upstream,
      this.o.deadlines,
      this.o.route.retry?.perTryTimeoutMs ?? 0,
    );
    this.current = attempt;
    const { body } = this.o;
    this.o.upstream.inFlight += 1;
    this.o.upstream.pool.dispatch(
      {
        path: this.o.path,
        method: this.o.method,
        headers: this.o.headers,
        body:
          body.kind === 'none'
            ? null
            : body.kind === 'buffered'
              ? body.data
              : clientBodyStream(this.o.req, body.head),
      },
      attempt,
    );
    if (this.requestComplete) attempt.requestCompleted();
  }

  /** A try failed before the response began: retry if the policy allows, else reply. */
  tryFailed(attempt: Attempt, failure: TryFailure): void {
    if (attempt !== this.current || this.done) return;
    if (failure === 'connect-failure') this.o.stats.connectFail.inc();
    this.current = undefined;
    const policy = this.retry;
    if (policy !== undefined && this.tries <= policy.retries && retriesFailure(policy, failure)) {
      this.scheduleRetry();
      return;
    }
    // Envoy's URX: the policy would retry this failure but its retries are used up.
    if (policy !== undefined && retriesFailure(policy, failure)) this.flags.push('URX');
    switch (failure) {
      case 'connect-failure':
        this.flags.push('UF');
        return this.fail(503, REPLY.connectFailure);
      case 'reset':
        this.flags.push('UC');
        return this.fail(503, REPLY.reset);
      case 'per-try-timeout':
        this.flags.push('UT');
        this.o.stats.timeout.inc();
        return this.fail(504, REPLY.timeout);
    }
  }

  /** Whether a response with this status is dropped for another try. */
  retriesResponse(status: number, headers: IncomingHttpHeaders): boolean {
    const policy = this.retry;
    if (policy === undefined || this.done || !retriesStatus(policy, status, headers)) return false;
    if (this.tries > policy.retries) {
      this.flags.push('URX');
      return false;
    }
    this.current = undefined;
    this.scheduleRetry();
    return true;
  }

  private scheduleRetry(): void {
    this.o.stats.retry.inc();
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (this.tries - 1));
    setTimeout(() => this.dispatch(), Math.random() * ceiling);
  }

  /** The response began: status and headers go to the client. */
  responseStarted(status: number, headers: IncomingHttpHeaders): void {
    if (this.tries > 1 && !this.flags.includes('URX')) this.o.stats.retrySuccess.inc();
    const out = forwardableResponseHeaders(headers);
    applyHeaderEdits(out, this.o.route.responseHeaders);
    applyHeaderEdits(out, this.o.destination.responseHeaders);
    this.o.res.writeHead(status, out);
  }

  get res(): ServerResponse {
    return this.o.res;
  }

  /** The response ended upstream: end it for the client too. */
  responseEnded(): void {
    if (this.done) return;
    this.o.res.end();
    this.complete(this.o.res.statusCode);
  }

  /** The upstream failed after the response began: abort the client connection. */
  responseBroken(): void {
    if (this.done) return;
    this.flags.push('UPE');
    this.o.res.destroy();
    this.complete(this.o.res.statusCode);
  }

  private fail(status: number, text: string): void {
    if (this.done) return;
    // The unread rest of a streamed body would sit in front of the client's next request on
    // this connection: answer with `Connection: close`, as Envoy does.
    if (!this.o.req.complete) this.o.res.shouldKeepAlive = false;
    localReply(this.o.res, status, text);
    this.complete(status);
  }

  private readonly onClientClose = (): void => {
    if (this.done || this.o.res.writableFinished) return;
    this.flags.push('DC');
    this.current?.cancel();
    this.complete(this.o.res.headersSent ? this.o.res.statusCode : 0);
  };

  private complete(status: number): void {
    this.done = true;
    this.o.deadlines.cancel(this.routeDeadline);
    this.o.res.off('close', this.onClientClose);
    const { destination } = this.o;
    this.o.finish({
      serviceName: destination.serviceName,
      serviceFqdn: destination.serviceFqdn,
      subset: destination.subset,
      status,
      flags: this.flags.length === 0 ? '-' : [...new Set(this.flags)].join(','),
      durationMs: performance.now() - this.o.startedAt,
    });
  }
}

/** Errors from connecting (nothing reached the upstream): always safe to retry. */
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

class Cancelled extends Error {}

/** One try of an exchange: an undici dispatch handler. */
class Attempt implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private cancelled = false;
  private settled = false;
  private started = false;
  private perTryDeadline: Deadline | undefined;
  private waitingForDrain = false;

  constructor(
    private readonly exchange: Exchange,
    private readonly upstream: Upstream,
    private readonly deadlines: Deadlines,
    private readonly perTryTimeoutMs: number,
  ) {}

  /** Per-try timeouts count from the end of the request, like the route timeout. */
  requestCompleted(): void {
    if (this.perTryTimeoutMs <= 0 || this.settled || this.perTryDeadline !== undefined) return;
    this.perTryDeadline = this.deadlines.schedule(this.perTryTimeoutMs, () => {
      if (this.started) {
        this.exchange.responseBroken();
      } else {
        this.exchange.tryFailed(this, 'per-try-timeout');
      }
      this.cancel();
    });
  }

  /** Stops this try (timeout, retry, client gone); its late events are ignored. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.controller?.abort(new Cancelled('cancelled by the gateway'));
    this.settle();
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.deadlines.cancel(this.perTryDeadline);
    this.upstream.inFlight -= 1;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Cancelled while waiting for a connection: the pool only now hands us a way to stop it.
    if (this.cancelled) controller.abort(new Cancelled('cancelled by the gateway'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (this.cancelled) return;
    if (this.exchange.retriesResponse(statusCode, headers)) {
      this.cancel();
      return;
    }
    this.started = true;
    this.exchange.responseStarted(statusCode, headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.cancelled) return;
    const res = this.exchange.res;
    if (!res.write(chunk) && !this.waitingForDrain) {
      this.waitingForDrain = true;
      controller.pause();
      res.once('drain', () => {
        this.waitingForDrain = false;
        controller.resume();
      });
    }
  }

  onResponseEnd(): void {
    if (this.cancelled) return;
    this.settle();
    this.exchange.responseEnded();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.cancelled) return;
    this.settle();
    if (this.started) {
      this.exchange.responseBroken();
      return;
    }
    const code = (error as NodeJS.ErrnoException).code;
    this.exchange.tryFailed(
      this,
      code !== undefined && CONNECT_ERRORS.has(code) ? 'connect-failure' : 'reset',
    );
  }
}

/**
 * The client's body for undici, without giving undici the request itself: undici destroys a
 * body stream when the upstream fails, which on the request would drop the client's socket
 * before the gateway could answer 503.
 */
function clientBodyStream(req: IncomingMessage, head: readonly Buffer[]): Readable {
  const body = new Readable({
    read() {
      req.resume();
    },
  });
  for (const chunk of head) body.push(chunk);
  const onData = (chunk: Buffer) => {
    if (!body.push(chunk)) req.pause();
  };
  const onEnd = () => body.push(null);
  const onClose = () => {
    if (!req.readableEnded) body.destroy(new Error('the client aborted the request body'));
  };
  req.on('data', onData);
  req.once('end', onEnd);
  req.once('close', onClose);
  body.once('close', () => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('close', onClose);
  });
  return body;
}
