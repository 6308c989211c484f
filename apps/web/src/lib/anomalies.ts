/**
 * The table of top anomalies: scored rows ranked by score, each with the features that
 * contributed most to it (from `explain: true`), sortable by any column, and as CSV.
 */
import type { CsvCell } from './csv.js';

export interface ScoredRow {
  /** Position of the row in the dataset (0-based). */
  readonly rowIndex: number;
  readonly score: number;
  /** 1 anomalous, 0 normal. */
  readonly label: number;
  /** Feature values, in `features` order. */
  readonly values: readonly number[];
  /** Per-feature contributions to the score, in `features` order, when the algorithm explains. */
  readonly contributions: readonly number[] | undefined;
}

export interface Contribution {
  readonly feature: string;
  readonly contribution: number;
  readonly value: number | undefined;
}

/**
 * The `limit` highest-scoring rows, highest first (ties by row position). Scores that are not
 * finite sort last.
 */
export function topAnomalies(rows: readonly ScoredRow[], limit: number): ScoredRow[] {
  return sortRows(rows, { key: 'score', descending: true }).slice(0, Math.max(0, limit));
}

/** The `k` features with the largest contributions to a row's score, largest first. */
export function topContributions(
  row: ScoredRow,
  features: readonly string[],
  k: number,
): Contribution[] {
  if (row.contributions === undefined) return [];
  return row.contributions
    .map((contribution, i) => ({
      feature: features[i] ?? `feature ${i}`,
      contribution,
      value: row.values[i],
    }))
    .filter((entry) => Number.isFinite(entry.contribution))
    .sort((a, b) => b.contribution - a.contribution || a.feature.localeCompare(b.feature))
    .slice(0, k);
}

/** A sort column: one of the fixed ones, or a feature's value (`feature:<index>`). */
export type SortKey = 'score' | 'rowIndex' | 'label' | `feature:${number}`;

export interface SortOrder {
  readonly key: SortKey;
  readonly descending: boolean;
}

/** A sorted copy; ties keep dataset order, and NaN sorts last either way. */
export function sortRows(rows: readonly ScoredRow[], order: SortOrder): ScoredRow[] {
  const read = reader(order.key);
  const sign = order.descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const va = read(a);
    const vb = read(b);
    const aBad = !Number.isFinite(va);
    const bBad = !Number.isFinite(vb);
    if (aBad || bBad) return aBad === bBad ? a.rowIndex - b.rowIndex : aBad ? 1 : -1;
    return va === vb ? a.rowIndex - b.rowIndex : sign * (va - vb);
  });
}

function reader(key: SortKey): (row: ScoredRow) => number {
  if (key === 'score') return (row) => row.score;
  if (key === 'rowIndex') return (row) => row.rowIndex;
  if (key === 'label') return (row) => row.label;
  const index = Number(key.slice('feature:'.length));
  return (row) => row.values[index] ?? Number.NaN;
}

/**
 * The rows as CSV cells: row, score, label, every feature value, then (when explained) every
 * feature's contribution as `contribution:<feature>`.
 */
export function anomalyTable(
  rows: readonly ScoredRow[],
  features: readonly string[],
): { header: CsvCell[]; cells: CsvCell[][] } {
  const explained = rows.some((row) => row.contributions !== undefined);
  const header: CsvCell[] = [
    'row',
    'score',
    'label',
    ...features,
    ...(explained ? features.map((f) => `contribution:${f}`) : []),
  ];
  const cells = rows.map((row) => [
    row.rowIndex,
    row.score,
    row.label,
    ...features.map((_, i) => row.values[i]),
    ...(explained ? features.map((_, i) => row.contributions?.[i]) : []),
  ]);
  return { header, cells };
}
