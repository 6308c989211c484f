import { detect } from '@nomaly/edge-runtime';
import { ServiceError, type Logger } from '@nomaly/platform-core';
import { parse } from 'csv-parse/sync';
import type { ModelProvider } from '../model/model-provider.js';
import { ObjectNotFoundError, type ObjectStore } from '../object-store/object-store.js';

/** An S3 event notification, as far as the handler reads it. */
export interface S3Event {
  readonly Records: ReadonlyArray<{
    readonly eventSource: string;
    readonly eventName: string;
    readonly s3: {
      readonly bucket: { readonly name: string };
      /** URL-encoded, spaces as `+`. */
      readonly object: { readonly key: string; readonly size?: number };
    };
  }>;
}

/** What happened to one object. */
export interface BatchOutcome {
  readonly bucket: string;
  readonly key: string;
  readonly outcome: 'scored' | 'refused' | 'skipped';
  /** The object written next to the input: scores, or the problem. */
  readonly output?: string;
  readonly rows?: number;
}

export const SCORES_SUFFIX = '.scores.csv';
export const ERROR_SUFFIX = '.error.json';

export interface BatchHandlerOptions {
  readonly models: ModelProvider;
  readonly store: ObjectStore;
  /** Rows scored per chunk (MAX_DETECTION_BATCH_SIZE). */
  readonly maxRows: number;
  readonly logger: Logger;
}

/**
 * The S3-triggered batch function: reads each CSV object the event names (a header row, one
 * column per model feature by name; other columns such as `label` are ignored), scores every row
 * in chunks with the same code as the detect function, and writes `<name>.scores.csv` next to it
 * (`row,score,label`, one line per input row, in order). A CSV that cannot be scored is refused
 * with `<name>.error.json` holding the problem — not thrown, since Lambda's retries could not fix
 * it; failures that may pass (S3, central) are thrown so Lambda retries the event. Objects the
 * function wrote itself are skipped, so a trigger on the whole bucket does not loop.
 */
export function createBatchHandler(options: BatchHandlerOptions) {
  return async (event: S3Event): Promise<BatchOutcome[]> => {
    const outcomes: BatchOutcome[] = [];
    for (const record of event.Records) {
      const bucket = record.s3.bucket.name;
      const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
      if (key.endsWith(SCORES_SUFFIX) || key.endsWith(ERROR_SUFFIX)) {
        outcomes.push({ bucket, key, outcome: 'skipped' });
        continue;
      }
      outcomes.push(await scoreObject(options, bucket, key));
    }
    return outcomes;
  };
}

async function scoreObject(
  options: BatchHandlerOptions,
  bucket: string,
  key: string,
): Promise<BatchOutcome> {
  const base = key.replace(/\.csv$/i, '');
  let bytes: Buffer;
  try {
    bytes = await options.store.get(bucket, key);
  } catch (error) {
    // Deleted between the event and now: nothing to score, and retrying will not bring it back.
    if (error instanceof ObjectNotFoundError) {
      options.logger.warn({ bucket, key }, 'batch: the object is gone; nothing to score');
      return { bucket, key, outcome: 'skipped' };
    }
    throw error;
  }
  const model = await options.models.get();
  let lines: string[];
  try {
    lines = scoreCsv(bytes, model.detector.featureNames, options.maxRows, (rows) =>
      detect(model, { rows }, { maxRows: options.maxRows }),
    );
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    const output = `${base}${ERROR_SUFFIX}`;
    await options.store.put(
      bucket,
      output,
      JSON.stringify({ code: error.code, detail: error.message, object: key }),
      'application/json',
    );
    options.logger.warn({ bucket, key, err: error }, 'batch: refused a CSV');
    return { bucket, key, outcome: 'refused', output };
  }
  const output = `${base}${SCORES_SUFFIX}`;
  await options.store.put(
    bucket,
    output,
    `${['row,score,label', ...lines].join('\n')}\n`,
    'text/csv',
  );
  options.logger.info(
    { bucket, key, output, rows: lines.length, modelVersion: model.version },
    'batch: scored',
  );
  return { bucket, key, outcome: 'scored', output, rows: lines.length };
}

/**
 * The CSV's rows scored chunk by chunk, as `row,score,label` lines.
 *
 * @throws ServiceError `VALIDATION_FAILED` naming the line and column of the first bad value.
 */
function scoreCsv(
  bytes: Buffer,
  features: readonly string[],
  chunkRows: number,
  score: (rows: number[][]) => { scores: number[]; labels: number[] },
): string[] {
  let table: string[][];
  try {
    table = parse(bytes, { skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    throw new ServiceError(
      'VALIDATION_FAILED',
      `The object is not a CSV: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const [header, ...body] = table;
  if (header === undefined || body.length === 0) {
    throw new ServiceError('VALIDATION_FAILED', 'The CSV needs a header row and at least one row.');
  }
  const columns = features.map((name) => header.indexOf(name));
  const absent = features.filter((_, j) => columns[j] === -1);
  if (absent.length > 0) {
    throw new ServiceError(
      'VALIDATION_FAILED',
      `The CSV lacks the model's feature column(s) ${absent.join(', ')} (header: ${header.join(', ').slice(0, 200)}).`,
    );
  }
  const rows = body.map((cells, i) =>
    columns.map((at, j) => {
      const text = cells[at] ?? '';
      const value = text === '' ? Number.NaN : Number(text);
      if (!Number.isFinite(value)) {
        throw new ServiceError(
          'VALIDATION_FAILED',
          `Line ${i + 2}, column '${features[j]}': expected a finite number, got "${text.slice(0, 32)}".`,
        );
      }
      return value;
    }),
  );
  const lines: string[] = [];
  for (let start = 0; start < rows.length; start += chunkRows) {
    const { scores, labels } = score(rows.slice(start, start + chunkRows));
    scores.forEach((s, k) => lines.push(`${start + k},${s},${labels[k]}`));
  }
  return lines;
}
