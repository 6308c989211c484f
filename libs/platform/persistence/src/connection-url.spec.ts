import { describe, expect, it } from 'vitest';
import { maskUrl } from './connection-url.js';

describe(maskUrl.name, () => {
  it('masks the password and keeps what an operator needs', () => {
    expect(maskUrl('postgres://svc:s3cr%40t@db.internal:5432/nomaly?sslmode=require')).toBe(
      'postgres://svc:***@db.internal:5432/nomaly?sslmode=require',
    );
  });

  it('leaves a url without a password as it is', () => {
    expect(maskUrl('postgres://postgres@127.0.0.1:5432/postgres')).toBe(
      'postgres://postgres@127.0.0.1:5432/postgres',
    );
  });

  it('masks secrets passed as query parameters', () => {
    expect(maskUrl('postgres://db/nomaly?user=svc&password=s3cret&sslkey=/k.pem')).toBe(
      'postgres://db/nomaly?user=svc&password=***&sslkey=***',
    );
  });

  it('hides a string that is not a url entirely', () => {
    expect(maskUrl('host=db password=s3cret')).toBe('<unparseable database url>');
  });
});
