import { describe, expect, it } from 'vitest';
import { cacheKey } from './cache-key.js';

describe(cacheKey.name, () => {
  it('builds nomaly:<service>:<entity>:<id>', () => {
    expect(cacheKey('detector-service', 'detector', 'd-1')).toBe(
      'nomaly:detector-service:detector:d-1',
    );
    expect(cacheKey('auth-service', 'apikey', 'tenant:42')).toBe(
      'nomaly:auth-service:apikey:tenant:42',
    );
  });

  it('rejects empty segments and ":" in service or entity', () => {
    expect(() => cacheKey('', 'detector', '1')).toThrow(TypeError);
    expect(() => cacheKey('svc', '', '1')).toThrow(/'entity'.*empty/);
    expect(() => cacheKey('svc', 'detector', '')).toThrow(/'id'.*empty/);
    expect(() => cacheKey('svc:x', 'detector', '1')).toThrow(/'service'.*':'/);
    expect(() => cacheKey('svc', 'a:b', '1')).toThrow(TypeError);
  });
});
