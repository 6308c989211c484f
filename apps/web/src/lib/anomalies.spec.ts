import { describe, expect, it } from 'vitest';
import {
  anomalyTable,
  sortRows,
  topAnomalies,
  topContributions,
  type ScoredRow,
} from './anomalies.js';
import { toCsv } from './csv.js';

const row = (
  rowIndex: number,
  score: number,
  label = 0,
  values = [rowIndex, -rowIndex],
): ScoredRow => ({
  rowIndex,
  score,
  label,
  values,
  contributions: [score * 0.25, score * 0.75],
});

describe(topAnomalies.name, () => {
  it('keeps the highest scores, highest first, ties in dataset order, NaN last', () => {
    const rows = [row(0, 0.2), row(1, 0.9, 1), row(2, Number.NaN), row(3, 0.9, 1), row(4, 0.5)];
    expect(topAnomalies(rows, 3).map((r) => r.rowIndex)).toEqual([1, 3, 4]);
    expect(topAnomalies(rows, 10).map((r) => r.rowIndex)).toEqual([1, 3, 4, 0, 2]);
    expect(topAnomalies(rows, 0)).toEqual([]);
  });
});

describe(sortRows.name, () => {
  const rows = [row(0, 0.3), row(1, 0.1, 0, [5, 1]), row(2, 0.2, 1, [3, 9])];

  it('sorts by score, row, label or a feature, either way', () => {
    expect(sortRows(rows, { key: 'score', descending: false }).map((r) => r.rowIndex)).toEqual([
      1, 2, 0,
    ]);
    expect(sortRows(rows, { key: 'rowIndex', descending: true }).map((r) => r.rowIndex)).toEqual([
      2, 1, 0,
    ]);
    expect(sortRows(rows, { key: 'label', descending: true }).map((r) => r.rowIndex)).toEqual([
      2, 0, 1,
    ]);
    expect(sortRows(rows, { key: 'feature:1', descending: true }).map((r) => r.rowIndex)).toEqual([
      2, 1, 0,
    ]);
  });

  it('leaves its input alone', () => {
    sortRows(rows, { key: 'score', descending: true });
    expect(rows.map((r) => r.rowIndex)).toEqual([0, 1, 2]);
  });
});

describe(topContributions.name, () => {
  it('lists the largest contributions with their feature and value', () => {
    expect(topContributions(row(7, 2), ['a', 'b'], 1)).toEqual([
      { feature: 'b', contribution: 1.5, value: -7 },
    ]);
    expect(topContributions({ ...row(1, 1), contributions: undefined }, ['a', 'b'], 3)).toEqual([]);
  });
});

describe(anomalyTable.name, () => {
  it('writes row, score, label, the features and their contributions, escaped as CSV', () => {
    const { header, cells } = anomalyTable([row(3, 0.5, 1, [-1, 2])], ['=x', 'y']);
    expect(header).toEqual([
      'row',
      'score',
      'label',
      '=x',
      'y',
      'contribution:=x',
      'contribution:y',
    ]);
    expect(toCsv(header, cells)).toBe(
      "row,score,label,'=x,y,contribution:=x,contribution:y\r\n3,0.5,1,-1,2,0.125,0.375\r\n",
    );
  });

  it('leaves the contribution columns out when nothing was explained', () => {
    const { header } = anomalyTable([{ ...row(0, 1), contributions: undefined }], ['a']);
    expect(header).toEqual(['row', 'score', 'label', 'a']);
  });
});
