import { createRequire } from 'node:module';

/*
 * opossum ships no type declarations and @types/opossum describes v8, so the small part of the
 * v9 API this library uses is typed here. Loading it through `createRequire` (it is CommonJS)
 * keeps the untyped module out of the type system instead of declaring it ambiently for every
 * consumer of this library.
 */

export interface OpossumOptions {
  readonly name: string;
  /** `false`: the breaker does not time out calls (we time each attempt ourselves). */
  readonly timeout: number | false;
  readonly resetTimeout: number;
  readonly errorThresholdPercentage: number;
  readonly volumeThreshold?: number;
  readonly rollingCountTimeout?: number;
  /** Errors for which this returns true count as successes (the dependency did answer). */
  readonly errorFilter: (error: unknown) => boolean;
}

/** Counts over the rolling window (`rollingCountTimeout`, 10 s by default). */
export interface OpossumStats {
  readonly fires: number;
  readonly failures: number;
  readonly successes: number;
  readonly rejects: number;
  readonly timeouts: number;
}

export interface OpossumBreaker<A extends unknown[], R> {
  fire(...args: A): Promise<R>;
  open(): void;
  close(): void;
  shutdown(): void;
  readonly opened: boolean;
  readonly closed: boolean;
  readonly halfOpen: boolean;
  readonly stats: OpossumStats;
  on(event: 'open' | 'halfOpen' | 'close' | 'failure' | 'success', listener: () => void): this;
}

/**
 * Codes opossum puts on the rejections it makes itself, for the cases we can meet: we disable its
 * timeout and its capacity limit, and its `ETIMEDOUT` would be ambiguous with Node's socket errors.
 */
export type OpossumErrorCode = 'EOPENBREAKER' | 'ESHUTDOWN';

type OpossumConstructor = new <A extends unknown[], R>(
  action: (...args: A) => Promise<R>,
  options: OpossumOptions,
) => OpossumBreaker<A, R>;

export const CircuitBreaker = createRequire(import.meta.url)('opossum') as OpossumConstructor;

/** The opossum code of `error`, if opossum made it. */
export function opossumCode(error: unknown): OpossumErrorCode | undefined {
  if (!(error instanceof Error) || !('code' in error)) return undefined;
  const { code } = error;
  return code === 'EOPENBREAKER' || code === 'ESHUTDOWN' ? code : undefined;
}
