import { createDetector, Matrix, Random } from '@nomaly/detection-core';
import { ServiceError } from '@nomaly/platform-core';
import { datasetV1 } from '@nomaly/proto';
import { describe, expect, it } from 'vitest';
import { fitModel, selectFeatures } from './training.js';

const { COLUMN_TYPE_NUMERIC, COLUMN_TYPE_CATEGORICAL, COLUMN_TYPE_TIMESTAMP } =
  datasetV1.ColumnType;

function dataset(
  columns: Array<[string, datasetV1.ColumnType, boolean?]>,
): datasetV1.DescribeDatasetResponse {
  return {
    datasetId: 'd',
    name: 'd',
    version: 1,
    rows: 10,
    columns: columns.map(([name, type, isLabel], index) => ({
      name,
      type,
      isLabel: isLabel ?? false,
      missing: 0,
      index,
    })),
    checksum: 'c',
    createdAt: undefined,
  };
}

function failure(run: () => unknown): ServiceError {
  try {
    run();
  } catch (error) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
  throw new Error('expected a ServiceError');
}

describe(selectFeatures.name, () => {
  const described = dataset([
    ['amount', COLUMN_TYPE_NUMERIC],
    ['at', COLUMN_TYPE_TIMESTAMP],
    ['country', COLUMN_TYPE_CATEGORICAL],
    ['label', COLUMN_TYPE_NUMERIC, true],
  ]);

  it('takes every numeric or timestamp column but the label by default', () => {
    expect(selectFeatures(null, described)).toEqual(['amount', 'at']);
  });

  it("checks a detector's own list, naming the column that cannot be a feature (422)", () => {
    expect(selectFeatures(['at', 'amount'], described)).toEqual(['at', 'amount']);
    for (const [features, column] of [
      [['amount', 'missing'], "'missing'"],
      [['country'], "'country'"],
      [['label'], "'label'"],
    ] as const) {
      const error = failure(() => selectFeatures(features, described));
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED', status: 422 });
      expect(error.message).toContain(column);
    }
    expect(
      failure(() => selectFeatures(null, dataset([['c', COLUMN_TYPE_CATEGORICAL]]))).message,
    ).toBe('The dataset has no numeric feature column.');
  });
});

describe(fitModel.name, () => {
  const random = new Random(4);
  const rows = 300;
  const features = ['a', 'b'];
  const data = Float64Array.from({ length: rows * 2 }, () => random.normal());

  it('fits exactly what the library fits, with the seed over the parameters', () => {
    const fitted = fitModel(
      { algorithm: 'iforest', parameters: { nEstimators: 25, seed: 1 }, seed: 9 },
      { data, rows, features },
    );
    const reference = createDetector('iforest', { nEstimators: 25, seed: 9 }).fit(
      new Matrix(data, rows, 2, features),
    );
    expect(fitted.document).toBe(JSON.stringify(reference.toJSON()));
    expect(fitted.threshold).toBe(reference.threshold);
    expect(Array.from(fitted.scores)).toEqual(
      Array.from(reference.score(new Matrix(data, rows, 2, features))),
    );
  });

  it('turns the library’s refusals into 400s naming the parameter', () => {
    const error = failure(() =>
      fitModel({ algorithm: 'iforest', parameters: { nEstimators: 0 } }, { data, rows, features }),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('nEstimators');
  });
});
