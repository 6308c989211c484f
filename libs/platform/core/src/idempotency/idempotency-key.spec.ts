import { describe, expect, it } from 'vitest';
import { ServiceError } from '../errors/index.js';
import { parseIdempotencyKey, requestFingerprint } from './idempotency-key.js';

describe(parseIdempotencyKey.name, () => {
  it('returns the key, or undefined when the header is absent', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey([])).toBeUndefined();
    expect(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe(
      '8e03978e-40d5-43e8-bc93-6894a57f9324',
    );
    expect(parseIdempotencyKey(['k-1'])).toBe('k-1');
    expect(parseIdempotencyKey('"quoted-key"')).toBe('quoted-key');
    expect(parseIdempotencyKey('x'.repeat(255))).toHaveLength(255);
  });

  it.each([
    ['empty', ''],
    ['an empty quoted string', '""'],
    ['longer than 255', 'x'.repeat(256)],
    ['a control character', 'key\u0001'],
    ['a non-ASCII character', 'clé'],
    ['a repeated header', ['a', 'b']],
    ['a repeated header joined by Node', 'a, b'],
  ])('rejects %s with VALIDATION_FAILED', (_, value) => {
    let thrown: unknown;
    try {
      parseIdempotencyKey(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ServiceError);
    expect(thrown).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect((thrown as Error).message).toMatch(/^Idempotency-Key header /);
  });
});

describe(requestFingerprint.name, () => {
  it('is the SHA-256 of method, path and body bytes', () => {
    const a = requestFingerprint('post', '/api/v1/detectors', '{"name":"x"}');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(
      requestFingerprint('POST', '/api/v1/detectors', new TextEncoder().encode('{"name":"x"}')),
    ).toBe(a);
    expect(requestFingerprint('PUT', '/api/v1/detectors', '{"name":"x"}')).not.toBe(a);
    expect(requestFingerprint('POST', '/api/v1/detectors?x=1', '{"name":"x"}')).not.toBe(a);
    expect(requestFingerprint('POST', '/api/v1/detectors', '{"name":"y"}')).not.toBe(a);
  });
});
