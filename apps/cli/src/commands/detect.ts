import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { DetectionError, DetectionErrorCode } from '@nomaly/detection-core';
import { CliError, usageError } from '../cli-error.js';
import { readNumericCsv } from '../csv-table.js';
import { detectorFromOptions } from '../detector-options.js';
import { Progress } from '../progress.js';

export const DETECT_HELP = `Usage: nomaly detect FILE.csv --algorithm NAME [options]

Fits the detector on every row of FILE.csv (a header line, numeric columns) and writes
"score,label" for each row, in input order: score higher = more anomalous, label 1 = anomaly.
A column named "label" is never used as a feature.

Options:
  --algorithm NAME    iforest, eif, lof, knn, hbos, ecod, copod, pca, mcd, loda, auto, ...
  --param KEY=VALUE   a detector parameter (repeatable), e.g. --param nEstimators=200,
                      --param contamination=0.05, --param missing=median
  --seed N            seed of randomized detectors (same seed, same scores)
  --exclude COLUMN    leave a column out (repeatable)
  --output FILE       write the CSV to FILE instead of standard output
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
    },
  });
  if (positionals.length !== 1) {
    throw usageError(`detect takes one CSV file, got ${positionals.length}\n\n${DETECT_HELP}`);
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
