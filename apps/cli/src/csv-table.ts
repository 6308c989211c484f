import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { CsvError, parse } from 'csv-parse';
import { Matrix } from '@nomaly/detection-core';
import { CliError, usageError } from './cli-error.js';

/** Cell texts read as a missing value (NaN), as pandas' default `na_values` do. */
const MISSING = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL']);

export interface NumericTable {
  X: Matrix;
  /** The label column (0/1) when the file has one. */
  labels?: Uint8Array;
  labelColumn?: string;
  /** 1-based file line of each data row, for messages. */
  lines: Int32Array;
}

export interface ReadOptions {
  /** Columns to leave out. Naming a column the file does not have is an error. */
  exclude?: readonly string[];
  /** The label column: used for labels, never as a feature. */
  labelColumn?: string;
  /** Fail when the label column is absent. */
  requireLabels?: boolean;
  onProgress?: (rows: number) => void;
}

/**
 * Reads a CSV file with a header into a numeric matrix, streaming (csv-parse), so memory holds
 * the numbers and not the text. Every problem names the file, line and column: a ragged line, a
 * non-numeric value (with the `--exclude` that would skip its column), a non-finite number, a
 * label that is not 0/1. Missing cells become NaN; the detector's missing-value policy decides.
 */
export async function readNumericCsv(
  path: string,
  options: ReadOptions = {},
): Promise<NumericTable> {
  const file = basename(path);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) throw usageError(`cannot read ${path}: no such file`);
  if (!stat.isFile()) throw usageError(`cannot read ${path}: not a file`);
  const parser = createReadStream(path).pipe(
    parse({ info: true, trim: true, skip_empty_lines: true, bom: true }),
  );
  let header: string[] | undefined;
  let featureIdx: number[] = [];
  let labelIdx = -1;
  let data = new Float64Array(1 << 16);
  let lines = new Int32Array(1 << 12);
  let labels = new Uint8Array(1 << 12);
  let rows = 0;
  try {
    for await (const item of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      const { record, info } = item;
      if (header === undefined) {
        header = record;
        ({ featureIdx, labelIdx } = selectColumns(file, header, options));
        continue;
      }
      const d = featureIdx.length;
      if ((rows + 1) * d > data.length) data = grow(data, (rows + 1) * d);
      if (rows + 1 > lines.length) {
        lines = grow(lines, rows + 1);
        labels = grow(labels, rows + 1);
      }
      for (let j = 0; j < d; j++) {
        const c = featureIdx[j]!;
        data[rows * d + j] = parseCell(record[c]!, file, info.lines, header[c]!, c);
      }
      if (labelIdx >= 0) {
        const text = record[labelIdx]!;
        const v = Number(text);
        if (text === '' || (v !== 0 && v !== 1)) {
          throw new CliError(
            `${file}:${info.lines}: label column '${header[labelIdx]}' must hold 0 or 1, found '${text}'`,
          );
        }
        labels[rows] = v;
      }
      lines[rows] = info.lines;
      rows++;
      if ((rows & 0xffff) === 0) options.onProgress?.(rows);
    }
  } catch (e) {
    if (e instanceof CsvError) throw new CliError(`${file}: ${describeCsvError(e)}`);
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (header === undefined) throw new CliError(`${file} is empty: it needs a header line and rows`);
  if (rows === 0) throw new CliError(`${file} has a header but no data rows`);
  const d = featureIdx.length;
  const X = new Matrix(
    data.slice(0, rows * d),
    rows,
    d,
    featureIdx.map((c) => header[c]!),
  );
  return {
    X,
    lines: lines.slice(0, rows),
    ...(labelIdx >= 0 ? { labels: labels.slice(0, rows), labelColumn: header[labelIdx]! } : {}),
  };
}

function selectColumns(
  file: string,
  header: string[],
  options: ReadOptions,
): { featureIdx: number[]; labelIdx: number } {
  const seen = new Set<string>();
  header.forEach((name, c) => {
    if (name === '') throw new CliError(`${file}:1: column ${c + 1} has no name in the header`);
    if (seen.has(name))
      throw new CliError(`${file}:1: column name '${name}' appears twice in the header`);
    seen.add(name);
  });
  const exclude = new Set(options.exclude ?? []);
  for (const name of exclude) {
    if (!seen.has(name)) {
      throw usageError(
        `--exclude ${name}: ${file} has no such column (columns: ${header.join(', ')})`,
      );
    }
  }
  const labelName = options.labelColumn;
  const labelIdx =
    labelName === undefined || exclude.has(labelName) ? -1 : header.indexOf(labelName);
  if (options.requireLabels === true && labelIdx < 0) {
    throw new CliError(
      `${file} has no '${labelName ?? 'label'}' column; benchmarks need labels (1 = anomaly)`,
    );
  }
  const featureIdx = header.flatMap((name, c) => (c === labelIdx || exclude.has(name) ? [] : [c]));
  if (featureIdx.length === 0) throw new CliError(`${file} has no feature columns left`);
  return { featureIdx, labelIdx };
}

function parseCell(text: string, file: string, line: number, column: string, c: number): number {
  if (MISSING.has(text)) return Number.NaN;
  const v = Number(text);
  if (Number.isFinite(v)) return v;
  if (Number.isNaN(v)) {
    throw new CliError(
      `${file}:${line}: column '${column}' (${c + 1}) has the non-numeric value '${truncate(text)}'; ` +
        `only numeric columns can be features — leave it out with --exclude ${column}`,
    );
  }
  throw new CliError(
    `${file}:${line}: column '${column}' (${c + 1}) has the non-finite value '${truncate(text)}'`,
  );
}

function describeCsvError(e: CsvError): string {
  // csv-parse's messages already carry the line ("Invalid Record Length: expect 3, got 2 on line 3").
  const lines = (e as CsvError & { lines?: number }).lines;
  return lines === undefined ? e.message : `line ${lines}: ${e.message}`;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(a: T, need: number): T {
  let size = a.length * 2;
  while (size < need) size *= 2;
  const Ctor = a.constructor as new (n: number) => T;
  const out = new Ctor(size);
  out.set(a);
  return out;
}
