import { listAlgorithms } from '@nomaly/detection-core';
import { describe, expect, it } from 'vitest';
import {
  describeRule,
  fieldsFromSchema,
  initialText,
  labelOf,
  readParameters,
} from './schema-form.js';

/** The schemas the API really publishes (GET /api/v1/detectors/algorithms returns this list). */
const CATALOGUE = listAlgorithms();
const schemaOf = (name: string): Record<string, unknown> => {
  const algorithm = CATALOGUE.find((a) => a.name === name);
  if (algorithm === undefined) throw new Error(`no algorithm ${name} in the catalogue`);
  return algorithm.parameters;
};

describe(fieldsFromSchema.name, () => {
  it('draws every parameter of every algorithm in the catalogue, none as a bare JSON box but arrays', () => {
    for (const algorithm of CATALOGUE) {
      const fields = fieldsFromSchema(algorithm.parameters);
      const properties = Object.keys(algorithm.parameters['properties'] as object);
      expect(fields.map((f) => f.name)).toEqual(properties);
      for (const field of fields) {
        const property = (
          algorithm.parameters['properties'] as Record<string, Record<string, unknown>>
        )[field.name]!;
        if (field.control === 'json') expect(property['type']).toBe('array');
      }
    }
  });

  it('maps the isolation forest’s schema to the right controls and rules', () => {
    const fields = Object.fromEntries(
      fieldsFromSchema(schemaOf('iforest')).map((f) => [f.name, f]),
    );
    expect(fields['nEstimators']).toMatchObject({
      control: 'number',
      number: { integer: true, minimum: 1, maximum: 10_000 },
      default: 100,
      label: 'n estimators',
    });
    expect(fields['contamination']).toMatchObject({
      control: 'number-or-keyword',
      keywords: ['auto'],
      nullable: false,
      number: { integer: false, exclusiveMinimum: 0, maximum: 0.5 },
    });
    expect(fields['maxDepth']).toMatchObject({
      control: 'number-or-keyword',
      nullable: true,
      keywords: [],
    });
    expect(fields['thresholdRule']).toMatchObject({
      control: 'select',
      options: ['iqr', 'mad', 'otsu'],
    });
  });

  it('maps booleans to checkboxes and arrays of objects to JSON', () => {
    const pca = Object.fromEntries(fieldsFromSchema(schemaOf('pca')).map((f) => [f.name, f]));
    expect(pca['standardize']).toMatchObject({ control: 'checkbox', default: true });
    const ensemble = Object.fromEntries(
      fieldsFromSchema(schemaOf('ensemble')).map((f) => [f.name, f]),
    );
    expect(ensemble['members']?.control).toBe('json');
    expect(JSON.parse(initialText(ensemble['members']!))).toEqual([
      { algorithm: 'iforest' },
      { algorithm: 'ecod' },
      { algorithm: 'mcd' },
    ]);
  });

  it('marks required properties and refuses a schema that is not an object', () => {
    const [field] = fieldsFromSchema({
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string' } },
    });
    expect(field).toMatchObject({ control: 'text', required: true });
    expect(() => fieldsFromSchema({ type: 'array' })).toThrow(/not an object with "properties"/);
  });
});

describe(readParameters.name, () => {
  const fields = fieldsFromSchema(schemaOf('iforest'));
  const defaults = Object.fromEntries(fields.map((f) => [f.name, initialText(f)]));

  it('sends nothing when every field keeps its default', () => {
    expect(readParameters(fields, defaults)).toEqual({ parameters: {}, errors: [] });
  });

  it('reads numbers, keywords, selects and null', () => {
    const result = readParameters(fields, {
      ...defaults,
      nEstimators: '250',
      contamination: 'auto',
      thresholdRule: 'iqr',
      maxDepth: '8',
      seed: '42',
    });
    expect(result.errors).toEqual([]);
    expect(result.parameters).toEqual({
      nEstimators: 250,
      contamination: 'auto',
      thresholdRule: 'iqr',
      maxDepth: 8,
      seed: 42,
    });
    expect(readParameters(fields, { ...defaults, contamination: '0.05' }).parameters).toEqual({
      contamination: 0.05,
    });
  });

  it('names the parameter and the rule it breaks', () => {
    const result = readParameters(fields, {
      ...defaults,
      nEstimators: '2.5',
      contamination: '0.7',
      maxSamples: 'many',
      thresholdRule: 'best',
    });
    expect(result.errors.map((e) => e.field)).toEqual([
      'contamination',
      'thresholdRule',
      'nEstimators',
      'maxSamples',
    ]);
    const messages = result.errors.map((e) => e.message).join('\n');
    expect(messages).toMatch(/"nEstimators" must be an integer ≥ 1 and ≤ 10000, got 2.5/);
    expect(messages).toMatch(/"contamination" must be a number > 0 and ≤ 0.5, or "auto", got 0.7/);
    expect(messages).toMatch(/"maxSamples" must be an integer ≥ 2 and ≤ 1000000, got "many"/);
    expect(messages).toMatch(/"thresholdRule" must be one of iqr, mad, otsu, got "best"/);
    expect(result.parameters).toEqual({});
  });

  it('reads checkboxes and JSON, and names broken JSON', () => {
    const pca = fieldsFromSchema(schemaOf('pca'));
    expect(readParameters(pca, { standardize: false }).parameters).toEqual({ standardize: false });
    const ensemble = fieldsFromSchema(schemaOf('ensemble'));
    const members = '[{"algorithm":"lof"}]';
    expect(readParameters(ensemble, { members }).parameters).toEqual({
      members: [{ algorithm: 'lof' }],
    });
    expect(readParameters(ensemble, { members: '[{' }).errors[0]?.message).toMatch(
      /"members" is not valid JSON/,
    );
  });

  it('treats an empty box as null for a nullable parameter whose default is not null', () => {
    const [field] = fieldsFromSchema({
      type: 'object',
      properties: { limit: { default: 5, anyOf: [{ type: 'integer' }, { type: 'null' }] } },
    });
    expect(readParameters([field!], { limit: '' }).parameters).toEqual({ limit: null });
    expect(readParameters([field!], { limit: 'null' }).parameters).toEqual({ limit: null });
  });
});

describe(describeRule.name, () => {
  it('words the rule of a field', () => {
    const fields = Object.fromEntries(
      fieldsFromSchema(schemaOf('iforest')).map((f) => [f.name, f]),
    );
    expect(describeRule(fields['maxDepth']!)).toBe('an integer ≥ 1 and ≤ 16, or empty for none');
    expect(describeRule(fields['thresholdRule']!)).toBe('');
  });
});

describe(labelOf.name, () => {
  it('splits camel case into words', () => {
    expect(labelOf('nEstimators')).toBe('n estimators');
    expect(labelOf('maxSamples')).toBe('max samples');
    expect(labelOf('contamination')).toBe('contamination');
  });
});
