/**
 * CSV export that is safe to open in a spreadsheet.
 *
 * Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula, and some also treat
 * a leading tab or carriage return as such ("CSV injection", OWASP). Dataset values are user
 * data, so every text cell that starts with one of those characters gets a leading `'`, which
 * spreadsheets show as text and never evaluate. Numbers are written as numbers: a finite number
 * such as `-0.27` is a value, never a formula, and quoting it would break sorting and sums in the
 * sheet. Cells are then quoted as RFC 4180 says; lines end with CRLF.
 */

export type CsvCell = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell, neutralised against formulas and quoted when it holds `"`, `,`, CR or LF. */
export function escapeCsvCell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  let text: string;
  if (typeof value === 'number') {
    // NaN and ±Infinity are text to a spreadsheet ("-Infinity" would start with "-").
    text = Number.isFinite(value) ? String(value) : neutralise(String(value));
  } else if (typeof value === 'boolean') {
    text = value ? 'true' : 'false';
  } else {
    text = neutralise(value);
  }
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function neutralise(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** A whole document: the header row, then the rows, each cell escaped. */
export function toCsv(header: readonly CsvCell[], rows: Iterable<readonly CsvCell[]>): string {
  const lines = [header.map(escapeCsvCell).join(',')];
  for (const row of rows) lines.push(row.map(escapeCsvCell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
