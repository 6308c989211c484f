import { describe, expect, it } from 'vitest';
import { LogThrottle } from './log-throttle.js';

describe(LogThrottle.name, () => {
  it('lets one message per key and interval through and counts the rest', () => {
    const sut = new LogThrottle(1_000);
    expect(sut.take('redis', 0)).toBe(0);
    expect(sut.take('redis', 10)).toBeUndefined();
    expect(sut.take('redis', 999)).toBeUndefined();
    expect(sut.take('other', 999)).toBe(0);
    expect(sut.take('redis', 1_000)).toBe(2);
    sut.reset('redis');
    expect(sut.take('redis', 1_001)).toBe(0);
  });
});
