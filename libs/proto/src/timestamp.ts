import type { Timestamp } from './gen/google/protobuf/timestamp.js';

export type { Timestamp };

/**
 * A `google.protobuf.Timestamp` in the shape proto-loader reads and writes (`seconds` and `nanos`,
 * with {@link GRPC_LOADER_OPTIONS}' `longs: Number`). Messages carry this shape rather than a
 * `Date`, because Nest's transport serialises plain objects without the generated code.
 */
export function timestampFromDate(date: Date): Timestamp {
  const millis = date.getTime();
  if (!Number.isFinite(millis)) {
    throw new Error(`Argument 'date' passed to 'timestampFromDate' is an invalid Date.`);
  }
  const seconds = Math.floor(millis / 1000);
  return { seconds, nanos: (millis - seconds * 1000) * 1_000_000 };
}

/** The instant a `Timestamp` denotes, to the millisecond (a Date holds no finer). */
export function dateFromTimestamp(timestamp: Timestamp): Date {
  return new Date(timestamp.seconds * 1000 + Math.floor(timestamp.nanos / 1_000_000));
}
