import { describe, expect, it } from 'vitest';
import { coerceParam, resolveParams, toJsonSchema, type ParamSpecs } from './params.js';

const SPECS = {
  k: { type: 'integer', description: 'k', default: 5, minimum: 1 },
  rate: {
    type: 'number',
    description: 'r',
    default: 0.1,
    exclusiveMinimum: 0,
    maximum: 0.5,
    keywords: ['auto'],
  },
  depth: { type: 'integer', description: 'd', default: null, minimum: 1, nullable: true },
  method: { type: 'string', description: 'm', default: 'a', enum: ['a', 'b'] },
  on: { type: 'boolean', description: 'o', default: false },
} as const satisfies ParamSpecs;

describe(resolveParams.name, () => {
  it('fills defaults and keeps valid values', () => {
    expect(resolveParams('algo', SPECS, { k: 3, rate: 'auto' })).toEqual({
      k: 3,
      rate: 'auto',
      depth: null,
      method: 'a',
      on: false,
    });
  });

  it('rejects unknown names, wrong types and ranges, naming the parameter and what it accepts', () => {
    expect(() => resolveParams('algo', SPECS, { K: 3 })).toThrow(
      "unknown parameter 'K' for algo; known parameters: k, rate, depth, method, on",
    );
    expect(() => resolveParams('algo', SPECS, { k: 2.5 })).toThrow(
      "parameter 'k' of algo must be an integer >= 1, got 2.5",
    );
    expect(() => resolveParams('algo', SPECS, { rate: 0.7 })).toThrow(
      "parameter 'rate' of algo must be a number > 0 and <= 0.5 or 'auto', got 0.7",
    );
    expect(() => resolveParams('algo', SPECS, { method: 'c' })).toThrow(
      "must be one of 'a', 'b', got 'c'",
    );
    expect(() => resolveParams('algo', SPECS, { on: 'yes' })).toThrow('must be true or false');
    expect(() => resolveParams('algo', SPECS, { depth: Number.NaN })).toThrow(/depth/);
  });
});

describe(coerceParam.name, () => {
  it('converts command-line strings by the declared type', () => {
    expect(coerceParam('algo', SPECS, 'k', '7')).toBe(7);
    expect(coerceParam('algo', SPECS, 'rate', 'auto')).toBe('auto');
    expect(coerceParam('algo', SPECS, 'depth', 'null')).toBeNull();
    expect(coerceParam('algo', SPECS, 'on', 'true')).toBe(true);
    expect(() => coerceParam('algo', SPECS, 'k', 'seven')).toThrow(
      "parameter 'k' of algo must be an integer",
    );
    expect(() => coerceParam('algo', SPECS, 'k', '')).toThrow(/must be an integer/);
  });
});

describe(toJsonSchema.name, () => {
  it('publishes a closed JSON Schema with defaults', () => {
    const schema = toJsonSchema(SPECS) as {
      additionalProperties: boolean;
      properties: Record<string, unknown>;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties['k']).toEqual({
      description: 'k',
      default: 5,
      type: 'integer',
      minimum: 1,
    });
    expect(schema.properties['rate']).toEqual({
      description: 'r',
      default: 0.1,
      anyOf: [{ type: 'number', maximum: 0.5, exclusiveMinimum: 0 }, { const: 'auto' }],
    });
    expect(schema.properties['method']).toMatchObject({ type: 'string', enum: ['a', 'b'] });
  });
});
