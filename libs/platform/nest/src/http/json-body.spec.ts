import { ServiceError } from '@nomaly/platform-core';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, parseJsonBody } from './json-body.js';

function refusal(text: string): ServiceError {
  try {
    parseJsonBody(text);
  } catch (error) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe(parseJsonBody.name, () => {
  it('parses ordinary bodies, brackets inside strings not counted as nesting', () => {
    const deepInString = `{"s":"${'['.repeat(500)}\\"${'{'.repeat(500)}"}`;
    expect(parseJsonBody(deepInString)).toEqual({ s: `${'['.repeat(500)}"${'{'.repeat(500)}` });
    expect(parseJsonBody('{"rows":[[1,2],[3,4]]}')).toEqual({
      rows: [
        [1, 2],
        [3, 4],
      ],
    });
  });

  it(`accepts ${MAX_JSON_DEPTH} levels and refuses one more, before parsing`, () => {
    const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(parseJsonBody(nested(MAX_JSON_DEPTH))).toBeInstanceOf(Array);
    const error = refusal(nested(100_000));
    expect(error.status).toBe(400);
    expect(error.message).toBe(`The JSON body nests deeper than ${MAX_JSON_DEPTH} levels.`);
  });

  it('refuses __proto__ and constructor.prototype keys, escaped or not, naming them', () => {
    expect(refusal('{"a":{"__proto__":{"x":1}}}').message).toMatch(/"__proto__"/);
    expect(refusal('{"\\u005f_proto__":{"x":1}}').message).toMatch(/"__proto__"/);
    expect(refusal('{"constructor":{"prototype":{"x":1}}}').message).toMatch(/"prototype"/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(parseJsonBody('{"constructor":"a string is data"}')).toEqual({
      constructor: 'a string is data',
    });
  });

  it('names malformed and empty bodies', () => {
    expect(refusal('{bad').message).toMatch(/^The body is not valid JSON: /);
    expect(refusal('  ').message).toBe('The body is empty but Content-Type is application/json.');
  });
});
