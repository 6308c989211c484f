import { existsSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ALGORITHM_NAMES,
  LIBRARY_VERSION,
  averagePrecision,
  createDetector,
  rocAuc,
} from '@nomaly/detection-core';
import { CliError, usageError } from '../cli-error.js';
import { readNumericCsv } from '../csv-table.js';
import { acceptsSeed } from '../detector-options.js';
import { Progress } from '../progress.js';

export const BENCH_HELP = `Usage: nomaly bench [--datasets DIR] [--algorithms a,b] [--seed N] [--repeat N] [--json]

Runs detectors on every CSV file in DIR (a "label" column, 1 = anomaly) and prints ROC-AUC,
average precision, fit seconds and score seconds per data set and algorithm. Quality is measured
on the training scores (neighbour methods exclude each row from its own neighbours, as
scikit-learn); "score s" times score() of all rows as new data. Single thread, wall clock.

Options:
  --datasets DIR      folder of CSV files (default: $NOMALY_DATASETS, else ../shared/datasets)
  --algorithms LIST   comma-separated (default: all of ${ALGORITHM_NAMES.filter((a) => a !== 'ensemble').join(',')})
  --seed N            seed of randomized detectors (default 0)
  --repeat N          fit and score N times, report the fastest (default 1; timings on a
                      shared machine vary, the minimum is the stable figure)
  --json              print a JSON array instead of a table
`;

export interface BenchResult {
  dataset: string;
  algorithm: string;
  rows: number;
  features: number;
  rocAuc: number;
  averagePrecision: number;
  fitSeconds: number;
  scoreSeconds: number;
}

export async function bench(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      datasets: { type: 'string' },
      algorithms: { type: 'string' },
      seed: { type: 'string', default: '0' },
      repeat: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0)
    throw usageError(`bench takes no positional arguments\n\n${BENCH_HELP}`);
  const dir = resolve(values.datasets ?? process.env['NOMALY_DATASETS'] ?? '../shared/datasets');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw usageError(
      `--datasets ${dir}: no such folder; pass --datasets DIR with CSV files that have a label column`,
    );
  }
  const algorithms = (
    values.algorithms ?? ALGORITHM_NAMES.filter((a) => a !== 'ensemble').join(',')
  )
    .split(',')
    .filter((a) => a !== '');
  for (const a of algorithms) {
    if (!ALGORITHM_NAMES.includes(a)) {
      throw usageError(
        `--algorithms: unknown algorithm '${a}'; known algorithms: ${ALGORITHM_NAMES.join(', ')}`,
      );
    }
  }
  const seed = Number(values.seed);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) {
    throw usageError(`--repeat must be an integer from 1 to 100, got ${values.repeat}`);
  }
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw usageError(`--seed must be a non-negative integer, got ${values.seed}`);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(a).size - statSync(b).size);
  if (files.length === 0) throw new CliError(`${dir} has no .csv files`);

  const progress = new Progress();
  const results: BenchResult[] = [];
  const table = new TablePrinter(!values.json, repeat);
  table.header(dir);
  for (const file of files) {
    const dataset = basename(file, '.csv');
    progress.update(`reading ${dataset}`);
    const { X, labels } = await readNumericCsv(file, { labelColumn: 'label', requireLabels: true });
    for (const algorithm of algorithms) {
      progress.update(`${dataset}: ${algorithm}`);
      let fitSeconds = Infinity;
      let scoreSeconds = Infinity;
      const detector = createDetector(algorithm, acceptsSeed(algorithm) ? { seed } : {});
      for (let run = 0; run < repeat; run++) {
        const t0 = performance.now();
        detector.fit(X);
        const t1 = performance.now();
        detector.score(X);
        const t2 = performance.now();
        fitSeconds = Math.min(fitSeconds, (t1 - t0) / 1000);
        scoreSeconds = Math.min(scoreSeconds, (t2 - t1) / 1000);
      }
      const r: BenchResult = {
        dataset,
        algorithm,
        rows: X.rows,
        features: X.cols,
        rocAuc: rocAuc(labels!, detector.trainingScores),
        averagePrecision: averagePrecision(labels!, detector.trainingScores),
        fitSeconds,
        scoreSeconds,
      };
      results.push(r);
      progress.done();
      table.row(r);
    }
  }
  progress.done();
  if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

class TablePrinter {
  constructor(
    private readonly enabled: boolean,
    private readonly repeat: number,
  ) {}

  header(dir: string): void {
    if (!this.enabled) return;
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    process.stdout.write(
      `nomaly bench — ${dir}\n` +
        `machine: ${cpus().length} × ${cpu}; node ${process.version}; detection-core ${LIBRARY_VERSION}; single thread; fastest of ${this.repeat} run(s)\n\n` +
        '| dataset | rows | d | algorithm | ROC-AUC | AP | fit s | score s | score rows/s |\n' +
        '|---|---:|---:|---|---:|---:|---:|---:|---:|\n',
    );
  }

  row(r: BenchResult): void {
    if (!this.enabled) return;
    const rate = r.scoreSeconds > 0 ? Math.round(r.rows / r.scoreSeconds).toString() : '';
    process.stdout.write(
      `| ${r.dataset} | ${r.rows} | ${r.features} | ${r.algorithm} | ${r.rocAuc.toFixed(4)} | ${r.averagePrecision.toFixed(4)} | ` +
        `${r.fitSeconds.toFixed(4)} | ${r.scoreSeconds.toFixed(4)} | ${rate} |\n`,
    );
  }
}
