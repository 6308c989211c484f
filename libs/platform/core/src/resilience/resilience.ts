import { ServiceError } from '../errors/index.js';
import type { Logger } from '../observability/logger.js';
import { BREAKER_STATE_VALUE } from '../observability/metrics.js';
import type { PlatformMetrics } from '../observability/metrics.js';
import { CircuitBreaker, opossumCode } from './opossum.js';
import type { OpossumBreaker } from './opossum.js';
import { RESILIENCE_PRESETS } from './presets.js';
import type { PresetName, ResiliencePreset } from './presets.js';
import { retry } from './retry.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** One breaker as `/status` shows it. */
export interface BreakerStatus {
  readonly operation: string;
  readonly preset: PresetName;
  readonly state: BreakerState;
  /** Failed attempts in the rolling window (the last 10 s). */
  readonly failures: number;
  /** Successful attempts in the rolling window; client errors (4xx) count here. */
  readonly successes: number;
}

export interface ResilienceOptions {
  /** The `service` label of `nomaly_circuit_breaker_state`. */
  readonly service: string;
  /** `RESILIENCE_ENABLED`: false calls every wrapped function straight through. */
  readonly enabled: boolean;
  /** `CIRCUIT_BREAKER_ENABLED`: false keeps timeouts and retries but never fails fast. */
  readonly breakersEnabled: boolean;
  readonly logger: Logger;
  readonly metrics?: PlatformMetrics;
}

export interface WrapOptions<A extends unknown[], R> {
  /** Retries (up to the preset's `attempts`) only when true: a retried write may land twice. */
  readonly idempotent?: boolean;
  /**
   * Answers instead of failing when the dependency is at fault (timeout, open breaker, error);
   * never for client errors (`ServiceError` with status < 500), which are the caller's to see.
   */
  readonly fallback?: (error: unknown, ...args: A) => R | Promise<R>;
  /** Tunes the preset for this operation (tests shorten `resetTimeoutMs`, for instance). */
  readonly overrides?: Partial<ResiliencePreset>;
}

/** Back-off between retries; the presets fix attempts, not delays, so one curve serves all. */
const RETRY_BASE_DELAY_MS = 100;
const RETRY_MAX_DELAY_MS = 2_000;

type Thunk = () => Promise<unknown>;

interface BreakerEntry {
  readonly operation: string;
  readonly preset: PresetName;
  readonly settings: ResiliencePreset;
  readonly breaker: OpossumBreaker<[Thunk], unknown>;
  consecutiveFailures: number;
  openedAt: number;
}

/**
 * Timeouts, retries and circuit breakers for calls to dependencies, by named preset.
 *
 * One opossum breaker guards each operation name, however many functions are wrapped under it:
 * the breaker's action runs whatever thunk it is fired with, so `cache.get` and `cache.set`
 * wrapped as one operation share one view of the dependency's health.
 *
 * Retries run OUTSIDE the breaker: every attempt is fired through it. So each failed attempt is
 * one failure towards `failureThreshold` (a dependency that is down opens the breaker after N
 * calls to it, not after N × attempts), the timeout applies per attempt, and once the breaker
 * opens the remaining retries fail fast instead of hammering a dependency that is down.
 *
 * opossum opens on an error percentage over a rolling window, which cannot express "opens after
 * N failures" (one failure in a quiet window is 100 %). We turn its percentage trigger off
 * (`errorThresholdPercentage: 100` is never exceeded) and open it ourselves after N consecutive
 * failures; opossum still runs the open → half-open → closed cycle and its single trial call.
 */
export class Resilience {
  private readonly breakers = new Map<string, BreakerEntry>();
  private readonly probes = new Map<PresetName, RecoveryProbe>();
  private shutDown = false;

  constructor(private readonly options: ResilienceOptions) {}

  /**
   * Returns `fn` protected by the preset: each attempt times out with `ServiceError('TIMEOUT')`,
   * an open breaker rejects at once with `ServiceError('DEPENDENCY_UNAVAILABLE')` and
   * `retryAfterSeconds`, and idempotent work is retried with jittered back-off. Errors from `fn`
   * itself are rethrown unchanged.
   *
   * @throws Error when `operation` was already wrapped with different settings.
   */
  wrap<A extends unknown[], R>(
    operation: string,
    preset: PresetName,
    fn: (...args: A) => Promise<R>,
    options: WrapOptions<A, R> = {},
  ): (...args: A) => Promise<R> {
    const settings: ResiliencePreset = { ...RESILIENCE_PRESETS[preset], ...options.overrides };
    if (!this.options.enabled) return fn;
    const entry = this.options.breakersEnabled
      ? this.breaker(operation, preset, settings)
      : undefined;
    const { fallback } = options;

    const once = (args: A): Promise<R> => {
      const timed = (): Promise<R> => withTimeout(operation, settings.timeoutMs, () => fn(...args));
      return entry === undefined ? timed() : this.fire(entry, timed);
    };

    return async (...args: A): Promise<R> => {
      try {
        return options.idempotent === true
          ? await retry(() => once(args), {
              attempts: settings.attempts,
              baseDelayMs: RETRY_BASE_DELAY_MS,
              maxDelayMs: RETRY_MAX_DELAY_MS,
              isRetryable,
            })
          : await once(args);
      } catch (error) {
        if (fallback === undefined || isClientError(error)) throw error;
        return fallback(error, ...args);
      }
    };
  }

  /**
   * Registers a health check for the dependency behind a preset (`database`: a `SELECT 1`).
   * While a breaker of that preset is open the check runs every couple of seconds, and the first
   * success closes the preset's open breakers. The breaker's own half-open timer (30 s for the
   * database) still applies when there is no probe; with one, a service is back as soon as its
   * dependency is — a restarted Postgres costs seconds of errors, not half a minute.
   */
  registerProbe(preset: PresetName, check: () => Promise<boolean>): void {
    this.probes.get(preset)?.stop();
    this.probes.set(preset, new RecoveryProbe(check, () => this.recovered(preset)));
  }

  /** Every breaker, for `/status`; empty when breakers are disabled. */
  states(): BreakerStatus[] {
    return [...this.breakers.values()].map((entry) => {
      const { failures, successes } = entry.breaker.stats;
      return {
        operation: entry.operation,
        preset: entry.preset,
        state: stateOf(entry.breaker),
        failures,
        successes,
      };
    });
  }

  /** Stops every breaker's timers; later calls fail with `SERVICE_UNAVAILABLE`. */
  shutdown(): void {
    this.shutDown = true;
    for (const probe of this.probes.values()) probe.stop();
    for (const entry of this.breakers.values()) entry.breaker.shutdown();
    this.breakers.clear();
  }

  private breaker(operation: string, preset: PresetName, settings: ResiliencePreset): BreakerEntry {
    const existing = this.breakers.get(operation);
    if (existing !== undefined) {
      if (existing.preset !== preset || !samePreset(existing.settings, settings)) {
        throw new Error(
          `Operation '${operation}' is already wrapped with preset '${existing.preset}' and other settings`,
        );
      }
      return existing;
    }
    const breaker = new CircuitBreaker((thunk: Thunk) => thunk(), {
      name: operation,
      timeout: false,
      resetTimeout: settings.resetTimeoutMs,
      errorThresholdPercentage: 100,
      errorFilter: isClientError,
    });
    const entry: BreakerEntry = {
      operation,
      preset,
      settings,
      breaker,
      consecutiveFailures: 0,
      openedAt: 0,
    };
    breaker.on('success', () => {
      entry.consecutiveFailures = 0;
    });
    breaker.on('failure', () => {
      entry.consecutiveFailures += 1;
      if (breaker.closed && entry.consecutiveFailures >= settings.failureThreshold) breaker.open();
    });
    breaker.on('open', () => {
      entry.openedAt = Date.now();
      this.report(entry, 'open');
      this.probes.get(preset)?.start();
    });
    breaker.on('halfOpen', () => this.report(entry, 'half-open'));
    breaker.on('close', () => {
      entry.consecutiveFailures = 0;
      this.report(entry, 'closed');
    });
    this.breakers.set(operation, entry);
    this.options.metrics?.breakerState.set(this.labels(operation), BREAKER_STATE_VALUE.closed);
    return entry;
  }

  private async fire<R>(entry: BreakerEntry, call: () => Promise<R>): Promise<R> {
    if (this.shutDown) throw shuttingDown(entry.operation);
    try {
      return (await entry.breaker.fire(call)) as R;
    } catch (error) {
      switch (opossumCode(error)) {
        case 'EOPENBREAKER':
          throw new ServiceError(
            'DEPENDENCY_UNAVAILABLE',
            `${entry.operation} is unavailable; calls are suspended after repeated failures`,
            { retryAfterSeconds: this.retryAfterSeconds(entry), cause: error },
          );
        case 'ESHUTDOWN':
          throw shuttingDown(entry.operation);
        case undefined:
          throw error;
      }
    }
  }

  /** The probe saw the dependency healthy: close the preset's open breakers. */
  private recovered(preset: PresetName): void {
    for (const entry of this.breakers.values()) {
      if (entry.preset === preset && !entry.breaker.closed) {
        this.options.logger.info(
          { operation: entry.operation, preset },
          `dependency of ${entry.operation} answers its health check again; closing the breaker`,
        );
        entry.breaker.close();
      }
    }
  }

  /** Seconds until the breaker lets a trial call through; at least 1, as `Retry-After` needs. */
  private retryAfterSeconds(entry: BreakerEntry): number {
    const remainingMs = entry.openedAt + entry.settings.resetTimeoutMs - Date.now();
    return Math.max(1, Math.ceil(remainingMs / 1000));
  }

  private report(entry: BreakerEntry, state: BreakerState): void {
    this.options.metrics?.breakerState.set(
      this.labels(entry.operation),
      BREAKER_STATE_VALUE[state],
    );
    this.options.logger.warn(
      {
        operation: entry.operation,
        preset: entry.preset,
        state,
        ...(state === 'open' ? { retryAfterSeconds: this.retryAfterSeconds(entry) } : {}),
      },
      `circuit breaker ${entry.operation} is ${state}`,
    );
  }

  private labels(operation: string): { service: string; operation: string } {
    return { service: this.options.service, operation };
  }
}

/** Client errors are the caller's fault: they never trip a breaker, trigger a retry or a fallback. */
function isClientError(error: unknown): boolean {
  return error instanceof ServiceError && error.isClientError;
}

/**
 * Not worth another attempt: the caller's mistake, a dependency already known to be down (our
 * open breaker, or a downstream service that answered 503 itself), or one that let an attempt
 * run out its whole timeout — a hung peer rarely recovers within a back-off, and retrying it
 * would multiply the caller's wait by the attempts (5 × 60 s for the api preset). Retries are
 * for fast failures: a refused connection, a reset.
 */
function isRetryable(error: unknown): boolean {
  if (!(error instanceof ServiceError)) return true;
  return !(
    error.isClientError ||
    error.code === 'DEPENDENCY_UNAVAILABLE' ||
    error.code === 'SERVICE_UNAVAILABLE' ||
    error.code === 'TIMEOUT'
  );
}

function stateOf(breaker: OpossumBreaker<[Thunk], unknown>): BreakerState {
  if (breaker.halfOpen) return 'half-open';
  return breaker.opened ? 'open' : 'closed';
}

function samePreset(a: ResiliencePreset, b: ResiliencePreset): boolean {
  return (
    a.timeoutMs === b.timeoutMs &&
    a.attempts === b.attempts &&
    a.failureThreshold === b.failureThreshold &&
    a.resetTimeoutMs === b.resetTimeoutMs
  );
}

function shuttingDown(operation: string): ServiceError {
  return new ServiceError('SERVICE_UNAVAILABLE', `${operation} is unavailable: shutting down`);
}

/**
 * Rejects with `ServiceError('TIMEOUT')` when `call` takes longer than `ms`. The call itself is
 * not cancelled (the function takes no signal); its late result is dropped.
 */
async function withTimeout<R>(operation: string, ms: number, call: () => Promise<R>): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new ServiceError('TIMEOUT', `${operation} timed out after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([call(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** How often an open breaker's dependency is checked. */
const PROBE_INTERVAL_MS = 2_000;

/** Polls a health check while a breaker is open; stops at the first success. */
class RecoveryProbe {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly check: () => Promise<boolean>,
    private readonly onHealthy: () => void,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.tick(), PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      if (await this.check().catch(() => false)) {
        this.stop();
        this.onHealthy();
      }
    } finally {
      this.running = false;
    }
  }
}
