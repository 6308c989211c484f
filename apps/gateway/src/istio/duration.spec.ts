import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe(parseDuration.name, () => {
  it('reads the forms Istio accepts', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('250us')).toBe(0.25);
  });

  it('rejects what is not a duration', () => {
    for (const text of ['', '10', 's', '10 s', '-1s', '1d', '10sec', '1s junk']) {
      expect(parseDuration(text), text).toBeUndefined();
    }
  });
});
