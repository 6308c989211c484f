import { describe, expect, it } from 'vitest';
import { EMPTY_SHA256, encodeRfc3986, signV4 } from './sigv4.js';

describe(signV4.name, () => {
  it('reproduces the GetObject example of the Amazon S3 Signature Version 4 documentation', () => {
    // "Example: GET Object" (examplebucket, test.txt, Range bytes=0-9, 2013-05-24, us-east-1).
    const headers = signV4(
      {
        method: 'GET',
        url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
        headers: { Range: 'bytes=0-9' },
        payloadSha256: EMPTY_SHA256,
      },
      {
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
      'us-east-1',
      's3',
      new Date('2013-05-24T00:00:00Z'),
    );
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
    expect(headers['x-amz-date']).toBe('20130524T000000Z');
  });

  it('signs the session token of temporary credentials', () => {
    const headers = signV4(
      {
        method: 'PUT',
        url: new URL('https://b.s3.eu-west-1.amazonaws.com/a%20b/c.csv'),
        headers: {},
        payloadSha256: EMPTY_SHA256,
      },
      { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' },
      'eu-west-1',
      's3',
      new Date('2026-01-02T03:04:05.678Z'),
    );
    expect(headers['x-amz-security-token']).toBe('token');
    expect(headers.authorization).toMatch(
      /SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,/,
    );
  });

  it('encodes keys as SigV4 wants: unreserved characters only', () => {
    expect(encodeRfc3986("my file (1)!*'.csv")).toBe('my%20file%20%281%29%21%2A%27.csv');
  });
});
