import type { FitRequest } from '@nomaly/detector-runtime';

/** Main thread → scoring thread. Typed arrays travel transferred, never copied. */
export type ThreadRequest =
  | {
      readonly kind: 'score';
      readonly id: number;
      /** `modelId:version`: the thread keeps the models it has loaded by this key. */
      readonly modelKey: string;
      /** The model document, sent the first time a thread scores with this model. */
      readonly document?: string;
      /** Row-major, `rows` × `cols`. */
      readonly values: Float64Array;
      readonly rows: number;
      readonly cols: number;
    }
  | {
      readonly kind: 'fit';
      readonly id: number;
      readonly request: FitRequest;
      readonly data: Float64Array;
      readonly rows: number;
      readonly features: readonly string[];
    };

/** An error as it crosses the thread boundary (class instances do not survive it). */
export interface ThreadError {
  readonly message: string;
  /** A ServiceError's code, when it was one. */
  readonly code?: string;
  readonly status?: number;
}

/** Scoring thread → main thread. */
export type ThreadResponse =
  | { readonly id: number; readonly ok: true; readonly scores: Float64Array }
  | {
      readonly id: number;
      readonly ok: true;
      readonly fitted: { document: string; threshold: number; scores: Float64Array };
    }
  | { readonly id: number; readonly ok: false; readonly error: ThreadError };
