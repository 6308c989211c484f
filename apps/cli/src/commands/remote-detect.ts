import { createWriteStream } from 'node:fs';
import { basename } from 'node:path';
import { CliError } from '../cli-error.js';
import { connect, idPath } from '../client/args.js';
import { requestTimeoutMs } from '../client/config.js';
import { bar, count, note, num, printJson, writeChunks } from '../client/output.js';
import { readNumericCsv } from '../csv-table.js';
import { Progress } from '../progress.js';

/** The detector-service's default `MAX_DETECTION_BATCH_SIZE`: larger batches answer 413. */
export const DEFAULT_BATCH_SIZE = 10_000;
/** A batch is scored within the call: the ML preset's bound unless NOMALY_TIMEOUT says. */
const BATCH_TIMEOUT_S = 300;

interface DetectAnswer {
  scores: number[];
  labels: number[];
  threshold: number;
  modelVersion: { id: string; modelId: string; version: number };
  features: string[];
}

export interface RemoteDetectOptions {
  detectorId: string;
  file: string;
  exclude: readonly string[];
  output: string | undefined;
  json: boolean;
  batchSize: number;
}

/**
 * `nomaly detect ID FILE.csv`: scores every row of the file with the detector's current model
 * through the API, in batches of at most `batchSize` rows, and writes `score,label` per row in
 * input order, as the local detect does. Rows travel as records keyed by the header's names,
 * so the file's column order does not matter and a column the model does not know is named by
 * the API. All batches must be scored by one model version (a promotion in the middle would
 * mix thresholds): if the version changes, the command fails rather than print a mixture.
 */
export async function remoteDetect(options: RemoteDetectOptions): Promise<void> {
  const { file } = options;
  const progress = new Progress();
  progress.update(`reading ${file}`);
  const table = await readNumericCsv(file, {
    exclude: options.exclude,
    labelColumn: 'label',
    onProgress: (rows) => progress.update(`reading ${file}: ${count(rows)} rows`),
  });
  progress.done();
  if (table.labelColumn !== undefined && !options.json) {
    note(`note: column '${table.labelColumn}' is a label, not a feature`);
  }
  const { X } = table;
  const names = X.featureNames;
  for (let i = 0; i < X.data.length; i++) {
    if (Number.isNaN(X.data[i])) {
      const row = Math.floor(i / X.cols);
      throw new CliError(
        `${basename(file)}:${table.lines[row]}: column '${names[i % X.cols]}' is missing a value; the API scores complete rows: fill it in, or leave the column out with --exclude`,
      );
    }
  }

  const client = connect();
  const scores = new Float64Array(X.rows);
  const labels = new Uint8Array(X.rows);
  let first: DetectAnswer | undefined;
  try {
    for (let start = 0; start < X.rows; start += options.batchSize) {
      const end = Math.min(X.rows, start + options.batchSize);
      progress.update(
        `scoring ${basename(file)} ${bar(start, X.rows)} ${count(start)}/${count(X.rows)} rows`,
      );
      const records = [];
      for (let i = start; i < end; i++) {
        const record: Record<string, number> = {};
        for (let j = 0; j < X.cols; j++) record[names[j]!] = X.data[i * X.cols + j]!;
        records.push(record);
      }
      const answer = (
        await client.call<DetectAnswer>(`/api/v1/detectors/${idPath(options.detectorId)}/detect`, {
          json: { records },
          timeoutMs: requestTimeoutMs(BATCH_TIMEOUT_S),
        })
      ).body;
      if (answer.scores.length !== end - start || answer.labels.length !== end - start) {
        throw new CliError(
          `the API answered ${answer.scores.length} scores for a batch of ${end - start} rows (rows ${start + 1}-${end})`,
        );
      }
      if (first === undefined) first = answer;
      else if (answer.modelVersion.id !== first.modelVersion.id) {
        throw new CliError(
          `detector ${options.detectorId} changed model during scoring (version ${first.modelVersion.version} → ${answer.modelVersion.version}, after row ${start}); run again for scores from one model`,
        );
      }
      scores.set(answer.scores, start);
      labels.set(answer.labels, start);
    }
  } finally {
    progress.done();
  }
  if (first === undefined) throw new CliError(`${file} has no rows to score`);
  const anomalies = labels.reduce((a, b) => a + b, 0);

  const out = options.output === undefined ? process.stdout : createWriteStream(options.output);
  if (options.json) {
    const document = {
      detectorId: options.detectorId,
      modelVersion: first.modelVersion,
      threshold: first.threshold,
      features: first.features,
      rows: X.rows,
      anomalies,
      scores: Array.from(scores),
      labels: Array.from(labels),
    };
    if (options.output === undefined) return printJson(document);
    await writeChunks(out, [`${JSON.stringify(document, null, 2)}\n`]);
  } else {
    await writeChunks(out, csvLines(scores, labels));
  }
  if (options.output !== undefined) {
    note(
      `wrote ${X.rows} rows to ${options.output} (${anomalies} labelled anomalous, threshold ${num(first.threshold)}, model version ${first.modelVersion.version})`,
    );
  }
}

function* csvLines(scores: Float64Array, labels: Uint8Array): Generator<string> {
  const CHUNK = 8192;
  yield 'score,label\n';
  for (let start = 0; start < scores.length; start += CHUNK) {
    let text = '';
    for (let i = start; i < Math.min(scores.length, start + CHUNK); i++) {
      text += `${scores[i]},${labels[i]}\n`;
    }
    yield text;
  }
}
