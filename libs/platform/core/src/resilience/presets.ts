/** The named policies of the deployment guide (its decorators), one per kind of dependency. */
export type PresetName = 'database' | 'api' | 'cache' | 'ml';

/** How one kind of call is protected: per-attempt timeout, retries and breaker thresholds. */
export interface ResiliencePreset {
  /** Each attempt fails with `TIMEOUT` after this long. */
  readonly timeoutMs: number;
  /** Total tries, the first included, for idempotent work; non-idempotent work is tried once. */
  readonly attempts: number;
  /** Consecutive failed attempts after which the breaker opens. */
  readonly failureThreshold: number;
  /** How long an open breaker fails fast before letting one trial call through (half-open). */
  readonly resetTimeoutMs: number;
}

/** The table in ARCHITECTURE.md ("Resilience policies"); change both together. */
export const RESILIENCE_PRESETS: Readonly<Record<PresetName, ResiliencePreset>> = Object.freeze({
  database: { timeoutMs: 30_000, attempts: 3, failureThreshold: 3, resetTimeoutMs: 30_000 },
  api: { timeoutMs: 60_000, attempts: 5, failureThreshold: 5, resetTimeoutMs: 60_000 },
  cache: { timeoutMs: 5_000, attempts: 2, failureThreshold: 3, resetTimeoutMs: 15_000 },
  ml: { timeoutMs: 300_000, attempts: 2, failureThreshold: 2, resetTimeoutMs: 120_000 },
});
