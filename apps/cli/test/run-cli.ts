import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random } from '@nomaly/detection-core';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'nomaly.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `nomaly` command (the same launcher `npx nomaly` uses). */
export function runCli(args: string[], cwd?: string): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd,
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary folder for one test file. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'nomaly-cli-'));
}

/**
 * Writes a seeded CSV: `rows` rows of `d` Gaussian features `f0…`, a share of them shifted far
 * away and marked in a `label` column.
 */
export function writeLabelledCsv(
  path: string,
  opts: { rows: number; d: number; seed: number },
): void {
  const rng = new Random(opts.seed);
  const header = [...Array.from({ length: opts.d }, (_, j) => `f${j}`), 'label'];
  const lines = [header.join(',')];
  for (let i = 0; i < opts.rows; i++) {
    const anomalous = i % 20 === 7;
    const values = Array.from({ length: opts.d }, () => (anomalous ? 6 : 0) + rng.normal());
    lines.push([...values, anomalous ? 1 : 0].join(','));
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}
