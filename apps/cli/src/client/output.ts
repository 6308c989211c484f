/**
 * What the client commands print: with `--json`, one JSON document on standard output and
 * nothing else there; otherwise tables and sentences for people. Notes go to standard error
 * either way, so `nomaly … --json | jq` always reads clean JSON.
 */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A number written out: `12`, `-0.5`, `1.2e-15`, or `-` for none. */
const NUMBER = /^(-|-?\d+(\.\d+)?(e[+-]?\d+)?)$/;

/** Columns padded to their widest cell; numbers right-aligned; an empty list says so. */
export function formatTable(
  headers: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>,
  empty = '(none)',
): string {
  if (rows.length === 0) return `${empty}\n`;
  const cells = rows.map((row) =>
    row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))),
  );
  // A column of numbers (or numbers already formatted as text) reads best right-aligned.
  const numeric = headers.map((_, j) =>
    rows.every((row) => {
      const cell = row[j];
      return cell === null || cell === undefined || typeof cell === 'number' || NUMBER.test(cell);
    }),
  );
  const widths = headers.map((h, j) =>
    Math.max(h.length, ...cells.map((row) => row[j]?.length ?? 0)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, j) => (numeric[j] === true ? cell.padStart(widths[j]!) : cell.padEnd(widths[j]!)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...cells.map(line)].join('\n')}\n`;
}

export function printTable(
  headers: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>,
  empty?: string,
): void {
  process.stdout.write(formatTable(headers, rows, empty));
}

/** `1,831`; `-` for a missing value. */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '-' : n.toLocaleString('en');
}

/** A number to at most 4 significant decimals, for statistics columns. */
export function num(n: number | string | null | undefined): string {
  if (n === null || n === undefined) return '-';
  if (typeof n === 'string') return n;
  if (Number.isInteger(n)) return String(n);
  return Number(n.toPrecision(4)).toString();
}

/** An ISO timestamp cut to the minute, in UTC, as tables show it. */
export function when(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '-';
  return iso.replace('T', ' ').slice(0, 16);
}

/** `1.2 MB`. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** A text progress bar: `[########------------]  40%`. */
export function bar(done: number, total: number, width = 24): string {
  const share = total <= 0 ? 0 : Math.min(1, Math.max(0, done / total));
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%`;
}

/**
 * Writes a large text in pieces, waiting for each to be taken (so memory holds one piece, and a
 * closed pipe ends the writing), then ends `out` when it is a file.
 */
export async function writeChunks(
  out: NodeJS.WritableStream,
  pieces: Iterable<string>,
): Promise<void> {
  const write = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      out.write(text, (err) => (err ? reject(err) : resolve()));
    });
  for (const piece of pieces) await write(piece);
  if (out !== process.stdout) {
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(resolve);
    });
  }
}
