import { describe, expect, it } from 'vitest';
import { dateFromTimestamp, timestampFromDate } from './timestamp.js';

describe(timestampFromDate.name, () => {
  it('splits an instant into whole seconds and nanoseconds, before 1970 too', () => {
    expect(timestampFromDate(new Date('2030-01-02T03:04:05.678Z'))).toEqual({
      seconds: 1893553445,
      nanos: 678_000_000,
    });
    expect(timestampFromDate(new Date(-1))).toEqual({ seconds: -1, nanos: 999_000_000 });
  });

  it('round-trips through dateFromTimestamp', () => {
    for (const millis of [0, 1, -1, 1_700_000_000_123, -86_400_001]) {
      expect(dateFromTimestamp(timestampFromDate(new Date(millis))).getTime()).toBe(millis);
    }
  });

  it('rejects an invalid Date', () => {
    expect(() => timestampFromDate(new Date(Number.NaN))).toThrow(/invalid Date/);
  });
});
