/**
 * One value of an uploaded table, as the parsers hand it on: text (every CSV field, JSON
 * strings and booleans), a number (JSON numbers), or `null` for a missing value. Types are
 * inferred later from what the values look like, the same way whatever the file format.
 */
export type Cell = string | number | null;

/** Decimal notation: `3`, `-0.5`, `.5`, `1e-3`, `+2.`; no hex, no digit separators, no spaces inside. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Spellings of non-finite values that pandas and numpy write (`nan`, `inf`, `-Infinity`). */
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;
/**
 * ISO 8601 calendar dates and date-times (`2024-05-01`, `2024-05-01T12:00:00.250Z`,
 * `2024-05-01 12:00+02:00`). Bare years and week dates are left out: `2024` is a number.
 */
const ISO_TIMESTAMP =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Whether a cell holds no value: `null`, or text that is empty or only spaces. */
export function isMissing(cell: Cell): cell is null | string {
  return cell === null || (typeof cell === 'string' && cell.trim() === '');
}

/**
 * The cell as a number, or `undefined` when it is not one. Non-finite spellings give `NaN` or
 * `±Infinity` (they are numbers, reported as non-finite values by the quality report).
 */
export function numberOf(cell: Cell): number | undefined {
  if (typeof cell === 'number') return cell;
  if (cell === null) return undefined;
  const text = cell.trim();
  if (DECIMAL.test(text)) return Number(text);
  if (NON_FINITE.test(text)) {
    const lower = text.toLowerCase();
    if (lower.endsWith('nan')) return Number.NaN;
    return lower.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  return undefined;
}

/** The cell as epoch milliseconds when it is an ISO 8601 date or date-time, else `undefined`. */
export function timestampOf(cell: Cell): number | undefined {
  if (typeof cell !== 'string') return undefined;
  const text = cell.trim();
  if (!ISO_TIMESTAMP.test(text)) return undefined;
  // Date.parse needs the `T` separator and a dot before fractions to read these reliably.
  const ms = Date.parse(text.replace(' ', 'T').replace(',', '.'));
  return Number.isFinite(ms) ? ms : undefined;
}

/** The cell as text, for categorical columns (numbers in their shortest round-trip form). */
export function textOf(cell: Cell): string | null {
  if (isMissing(cell)) return null;
  return typeof cell === 'number' ? String(cell) : cell;
}
