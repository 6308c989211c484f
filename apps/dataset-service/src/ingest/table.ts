import { pipeline, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { ServiceError } from '@nomaly/platform-core';
import { CsvError, parse as parseCsv } from 'csv-parse';
import type { Cell } from './cells.js';
import { JsonElementSplitter, JsonShapeError } from './json-splitter.js';
import { ByteLimit, tooManyColumns, tooManyRows, type UploadLimits } from './limits.js';

/** The file formats an upload may have, by Content-Type. */
export const UPLOAD_FORMATS = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
} as const;
export type UploadFormat = (typeof UPLOAD_FORMATS)[keyof typeof UPLOAD_FORMATS];

/** A table read from an upload: its column names, then its rows as they are parsed. */
export interface Table {
  readonly columns: readonly string[];
  /** Each row has exactly `columns.length` cells. Iterate once. */
  readonly rows: AsyncIterable<Cell[]>;
  /** Bytes read so far (decoded). */
  readonly bytes: () => number;
}

/** A row of a parsed file, with where it was for error messages (`line 7`, `record 3`). */
interface SourceRow {
  readonly cells: Cell[];
  readonly where: string;
}

function invalid(message: string): ServiceError {
  return new ServiceError('VALIDATION_FAILED', message, { status: 422 });
}

/**
 * Opens an upload as a table, parsing it as a stream: the body is never held whole. The
 * header (or first record's keys) is read here; rows are read as the caller iterates. Every
 * problem is a `ServiceError`: 422 for a file that is not a table (empty, header only, ragged
 * rows naming the line, malformed CSV or JSON), 413 for the byte, row and column limits.
 */
export async function openTable(
  format: UploadFormat,
  input: Readable,
  limits: UploadLimits,
): Promise<Table> {
  const counter = new ByteLimit(limits.maxBytes);
  const source = rowsOf(format, input, counter);
  try {
    return await readHeader(source, counter, limits, input);
  } catch (error) {
    await source.return(undefined);
    discardRest(input);
    throw error;
  }
}

async function readHeader(
  source: AsyncGenerator<SourceRow>,
  counter: ByteLimit,
  limits: UploadLimits,
  input: Readable,
): Promise<Table> {
  const first = await source.next();
  if (first.done === true) {
    throw invalid('The file is empty: a dataset needs a header and at least one row.');
  }
  const columns = headerOf(first.value);
  if (columns.length > limits.maxColumns) throw tooManyColumns(columns.length, limits.maxColumns);
  const second = await source.next();
  if (second.done === true) {
    throw invalid('The file has a header but no rows.');
  }

  async function* rows(): AsyncGenerator<Cell[]> {
    let count = 0;
    let next: IteratorResult<SourceRow> = second;
    try {
      while (next.done !== true) {
        const row = next.value;
        if (row.cells.length !== columns.length) {
          throw invalid(
            `${capitalise(row.where)} has ${row.cells.length} values; the header has ${columns.length} columns.`,
          );
        }
        count += 1;
        if (count > limits.maxRows) throw tooManyRows(limits.maxRows);
        yield row.cells;
        next = await source.next();
      }
    } finally {
      // Ends the parser when the caller stopped early (an error) and lets the body drain.
      await source.return(undefined);
      discardRest(input);
    }
  }
  return { columns, rows: rows(), bytes: () => counter.bytes };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function headerOf(row: SourceRow): string[] {
  const names = row.cells.map((cell) => (cell === null ? '' : String(cell).trim()));
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (name === '') throw invalid(`Column ${index + 1} of the header has no name.`);
    if (seen.has(name)) throw invalid(`The header names column "${name}" twice.`);
    // Clients read rows as objects keyed by column: this name would set their prototype.
    if (name === '__proto__')
      throw invalid(`Column ${index + 1} is named "__proto__", which is refused.`);
    seen.add(name);
  });
  return names;
}

/** The file's rows; the first is the header (CSV) or carries the column names (JSON). */
function rowsOf(
  format: UploadFormat,
  input: Readable,
  counter: ByteLimit,
): AsyncGenerator<SourceRow> {
  switch (format) {
    case 'csv':
      return csvRows(input, counter);
    case 'json':
      return jsonRows(input, counter);
    case 'ndjson':
      return ndjsonRows(input, counter);
  }
}

/**
 * Joins the body, the byte limit and a parser; an error anywhere fails the iteration of the
 * last stream. The body is piped rather than put in the pipeline so that a failure does not
 * destroy it (that would reset the connection before the 4xx could be sent): see
 * {@link discardRest}.
 */
function through(input: Readable, counter: ByteLimit, last?: NodeJS.ReadWriteStream): Readable {
  input.once('error', (error) => counter.destroy(error));
  input.pipe(counter);
  if (last === undefined) return counter;
  // Errors surface through iteration of the last stream; the callback only keeps the
  // pipeline from reporting them as unhandled.
  return pipeline(counter, last, () => undefined) as unknown as Readable;
}

/**
 * Reads and drops what is left of a body the parser stopped reading (a ragged row, a limit),
 * so the client can finish sending and read the error instead of a reset connection.
 */
export function discardRest(input: Readable): void {
  input.unpipe();
  if (!input.readableEnded && !input.destroyed) input.resume();
}

async function* csvRows(input: Readable, counter: ByteLimit): AsyncGenerator<SourceRow> {
  const parser = parseCsv({
    bom: true,
    // Row lengths are checked against the header by the caller, which names the line.
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
  });
  const stream = through(input, counter, parser);
  try {
    for await (const entry of stream as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      yield {
        cells: entry.record.map((field) => (field === '' ? null : field)),
        where: `line ${entry.info.lines}`,
      };
    }
  } catch (error) {
    if (error instanceof CsvError) throw invalid(`The CSV is malformed: ${error.message}`);
    throw error;
  }
}

/** A JSON value as a cell; nested arrays and objects are not table values. */
function cellOf(value: unknown, where: string, column: string): Cell {
  if (value === null || typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  throw invalid(
    `${capitalise(where)}, column "${column}": nested arrays and objects are not table values.`,
  );
}

/**
 * Records keyed by column name (JSON arrays of objects and NDJSON): the first record's keys
 * are the columns, a later record may leave some out (missing values) but not add new ones.
 */
class KeyedRecords {
  private columns: string[] | undefined;
  private index = new Map<string, number>();

  constructor(private readonly noun: string) {}

  *rows(value: unknown, position: number): Generator<SourceRow> {
    const where = `${this.noun} ${position}`;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw invalid(`${capitalise(where)} is not a JSON object.`);
    }
    const record = value as Record<string, unknown>;
    if (this.columns === undefined) {
      this.columns = Object.keys(record);
      this.columns.forEach((name, i) => this.index.set(name, i));
      yield { cells: [...this.columns], where };
    }
    const cells: Cell[] = new Array<Cell>(this.columns.length).fill(null);
    for (const [key, field] of Object.entries(record)) {
      const at = this.index.get(key);
      if (at === undefined) {
        throw invalid(
          `${capitalise(where)} has a key "${key}" that the first record does not have.`,
        );
      }
      cells[at] = cellOf(field, where, key);
    }
    yield { cells, where };
  }
}

async function* jsonRows(input: Readable, counter: ByteLimit): AsyncGenerator<SourceRow> {
  const splitter = new JsonElementSplitter();
  const decoder = new StringDecoder('utf8');
  const keyed = new KeyedRecords('record');
  let columns: string[] | undefined;
  let position = 0;
  let shape: 'records' | 'table' | undefined;
  try {
    const handle = function* (
      elements: ReturnType<JsonElementSplitter['feed']>,
    ): Generator<SourceRow> {
      for (const element of elements) {
        const value = JSON.parse(element.text) as unknown;
        if (element.key === undefined) {
          shape = 'records';
          position += 1;
          yield* keyed.rows(value, position);
        } else if (element.key === 'columns') {
          shape = 'table';
          if (typeof value !== 'string') throw invalid('"columns" must be an array of strings.');
          (columns ??= []).push(value);
        } else if (element.key === 'rows') {
          shape = 'table';
          if (columns === undefined)
            throw invalid('"columns" must come before "rows" in the JSON object.');
          position += 1;
          if (position === 1) yield { cells: [...columns], where: 'the header' };
          const where = `row ${position}`;
          if (!Array.isArray(value)) throw invalid(`${capitalise(where)} is not a JSON array.`);
          yield {
            cells: value.map((field, i) => cellOf(field, where, columns![i] ?? String(i))),
            where,
          };
        } else {
          throw invalid(`Unexpected key "${element.key}": a JSON table has "columns" and "rows".`);
        }
      }
    };
    for await (const chunk of through(input, counter) as AsyncIterable<Buffer>) {
      yield* handle(splitter.feed(decoder.write(chunk)));
    }
    yield* handle(splitter.feed(decoder.end()));
    splitter.end();
    if (shape === 'table' && position === 0 && columns !== undefined) {
      // `{"columns": [...], "rows": []}`: a header only.
      yield { cells: [...columns], where: 'the header' };
    }
  } catch (error) {
    if (error instanceof JsonShapeError || error instanceof SyntaxError) {
      throw invalid(`The JSON is malformed: ${error.message}`);
    }
    throw error;
  }
}

async function* ndjsonRows(input: Readable, counter: ByteLimit): AsyncGenerator<SourceRow> {
  const decoder = new StringDecoder('utf8');
  const keyed = new KeyedRecords('line');
  let line = 0;
  let partial = '';
  function* lines(text: string, final: boolean): Generator<SourceRow> {
    const parts = (partial + text).split('\n');
    partial = final ? '' : (parts.pop() ?? '');
    for (const part of parts) {
      line += 1;
      if (part.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(part);
      } catch (error) {
        throw invalid(`Line ${line} is not valid JSON: ${(error as Error).message}`);
      }
      yield* keyed.rows(value, line);
    }
  }
  for await (const chunk of through(input, counter) as AsyncIterable<Buffer>) {
    yield* lines(decoder.write(chunk), false);
  }
  yield* lines(decoder.end(), true);
}
