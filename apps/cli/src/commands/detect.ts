import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { DetectionError, DetectionErrorCode } from '@nomaly/detection-core';
import { CliError, usageError } from '../cli-error.js';
import { integerOption } from '../client/args.js';
import { writeChunks } from '../client/output.js';
import { readNumericCsv } from '../csv-table.js';
import { detectorFromOptions } from '../detector-options.js';
import { Progress } from '../progress.js';
import { DEFAULT_BATCH_SIZE, remoteDetect } from './remote-detect.js';

export const DETECT_HELP = `Usage: nomaly detect FILE.csv --algorithm NAME [options]      (local)
       nomaly detect DETECTOR_ID FILE.csv [options]             (remote, through the API)

The number of arguments tells the two apart: one (a file) fits a detector here, on this
machine; two (a detector id, then a file) scores with that detector's trained model on the
API you are logged in to (nomaly login). Either way the output is "score,label" for each row
of FILE.csv (a header line, numeric columns), in input order: score higher = more anomalous,
label 1 = anomaly. A column named "label" is never used as a feature.

Local: fits the detector on every row of FILE.csv and scores them.
  --algorithm NAME    iforest, eif, lof, knn, hbos, ecod, copod, pca, mcd, loda, auto, ...
  --param KEY=VALUE   a detector parameter (repeatable), e.g. --param nEstimators=200,
                      --param contamination=0.05, --param missing=median
  --seed N            seed of randomized detectors (same seed, same scores)

Remote: sends the rows in batches (records keyed by the header's names) and writes the
scores and labels of the detector's current model (its champion, else its latest training).
  --batch-size N      rows per request (default 10000, the API's MAX_DETECTION_BATCH_SIZE)

Both:
  --exclude COLUMN    leave a column out (repeatable)
  --output FILE       write to FILE instead of standard output
  --json              one JSON document instead of CSV: scores, labels, threshold, rows,
                      anomalies (and the model version, remote)
`;

export async function detect(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      algorithm: { type: 'string', short: 'a' },
      param: { type: 'string', short: 'p', multiple: true, default: [] },
      seed: { type: 'string' },
      exclude: { type: 'string', multiple: true, default: [] },
      output: { type: 'string', short: 'o' },
      'batch-size': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 2) {
    const localOnly = [
      values.algorithm === undefined ? undefined : '--algorithm',
      values.param.length === 0 ? undefined : '--param',
      values.seed === undefined ? undefined : '--seed',
    ].find((option) => option !== undefined);
    if (localOnly !== undefined) {
      throw usageError(
        `detect DETECTOR_ID FILE.csv scores with the detector's trained model: ${localOnly} is for local detection (detect FILE.csv --algorithm NAME)`,
      );
    }
    const [detectorId, file] = positionals as [string, string];
    return remoteDetect({
      detectorId,
      file,
      exclude: values.exclude,
      output: values.output,
      json: values.json,
      batchSize:
        values['batch-size'] === undefined
          ? DEFAULT_BATCH_SIZE
          : integerOption('--batch-size', values['batch-size'], 1, 1_000_000),
    });
  }
  if (positionals.length !== 1) {
    throw usageError(
      `detect takes FILE.csv (local) or DETECTOR_ID FILE.csv (remote), got ${positionals.length} arguments\n\n${DETECT_HELP}`,
    );
  }
  if (values['batch-size'] !== undefined) {
    throw usageError('--batch-size is for remote detection (detect DETECTOR_ID FILE.csv)');
  }
  if (values.algorithm === undefined) {
    throw usageError(
      '--algorithm is required to detect locally (detect FILE.csv --algorithm NAME); to score with a trained detector of the API: detect DETECTOR_ID FILE.csv',
    );
  }
  const file = positionals[0]!;
  const warn = (m: string): void => void process.stderr.write(`${m}\n`);
  const detector = detectorFromOptions({
    algorithm: values.algorithm,
    params: values.param,
    seed: values.seed,
    warn,
  });

  const progress = new Progress();
  progress.update(`reading ${file}`);
  const table = await readNumericCsv(file, {
    exclude: values.exclude,
    labelColumn: 'label',
    onProgress: (rows) => progress.update(`reading ${file}: ${rows.toLocaleString('en')} rows`),
  });
  if (table.labelColumn !== undefined)
    warn(`note: column '${table.labelColumn}' is a label, not a feature`);
  progress.update(
    `fitting ${detector.algorithm} on ${table.X.rows.toLocaleString('en')} × ${table.X.cols}`,
  );
  try {
    detector.fit(table.X);
  } catch (e) {
    progress.done();
    if (e instanceof DetectionError && e.code === DetectionErrorCode.NonFiniteValue) {
      // Name the file line rather than the 0-based data row.
      const m = /row (\d+), column \d+ \('([^']*)'\)/.exec(e.message);
      const line = m === null ? undefined : table.lines[Number(m[1])];
      throw new CliError(
        line === undefined
          ? e.message
          : `${file}:${line}: column '${m![2]}' is missing a value; impute with --param missing=median (or mean), or fix the file`,
      );
    }
    if (e instanceof DetectionError) throw new CliError(`${file}: ${e.message}`);
    throw e;
  }
  progress.done();

  const scores = detector.trainingScores;
  const t = detector.threshold;
  if (values.json) {
    const labels = Array.from(scores, (s) => (s > t ? 1 : 0));
    const document = {
      algorithm: detector.algorithm,
      threshold: t,
      features: table.X.featureNames,
      rows: scores.length,
      anomalies: labels.reduce<number>((a, b) => a + b, 0),
      scores: Array.from(scores),
      labels,
    };
    const text = `${JSON.stringify(document, null, 2)}\n`;
    if (values.output === undefined) {
      process.stdout.write(text);
      return;
    }
    await writeChunks(createWriteStream(values.output), [text]);
    warn(`wrote ${scores.length} rows to ${values.output} as JSON`);
    return;
  }
  const out = values.output === undefined ? process.stdout : createWriteStream(values.output);
  await writeLines(out, scores, t);
  if (values.output !== undefined) {
    const flagged = scores.filter((s) => s > t).length;
    warn(
      `wrote ${scores.length} rows to ${values.output} (${flagged} labelled anomalous, threshold ${t})`,
    );
  }
}

async function writeLines(
  out: NodeJS.WritableStream,
  scores: Float64Array,
  threshold: number,
): Promise<void> {
  const CHUNK = 8192;
  const write = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      out.write(text, (err) => (err ? reject(err) : resolve()));
    });
  await write('score,label\n');
  for (let start = 0; start < scores.length; start += CHUNK) {
    let text = '';
    for (let i = start; i < Math.min(scores.length, start + CHUNK); i++) {
      text += `${scores[i]},${scores[i]! > threshold ? 1 : 0}\n`;
    }
    await write(text);
  }
  if (out !== process.stdout) {
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(resolve);
    });
  }
}
