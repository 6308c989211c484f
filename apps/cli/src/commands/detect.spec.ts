import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDetector } from '@nomaly/detection-core';
import { runCli, tempDir, writeLabelledCsv } from '../../test/run-cli.js';
import { readNumericCsv } from '../csv-table.js';

describe('nomaly detect', () => {
  const dir = tempDir();
  const data = join(dir, 'data.csv');
  beforeAll(() => writeLabelledCsv(data, { rows: 400, d: 4, seed: 3 }));

  it('writes score,label for every row in input order, equal to the library scores', async () => {
    const r = runCli(['detect', data, '--algorithm', 'iforest', '--seed', '5']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('score,label');
    expect(lines).toHaveLength(401);
    const { X } = await readNumericCsv(data, { labelColumn: 'label' });
    const lib = createDetector('iforest', { seed: 5 }).fit(X);
    lines.slice(1).forEach((line, i) => {
      const [score, label] = line.split(',');
      expect(Number(score)).toBe(lib.trainingScores[i]);
      expect(Number(label)).toBe(lib.trainingScores[i]! > lib.threshold ? 1 : 0);
    });
    expect(r.stderr).toContain("column 'label' is a label, not a feature");
  });

  it('labels the contamination share and repeats itself for the same seed', () => {
    const a = runCli([
      'detect',
      data,
      '-a',
      'iforest',
      '--seed',
      '1',
      '--param',
      'contamination=0.05',
    ]);
    const b = runCli([
      'detect',
      data,
      '-a',
      'iforest',
      '--seed',
      '1',
      '--param',
      'contamination=0.05',
    ]);
    expect(a.stdout).toBe(b.stdout);
    const flagged = a.stdout
      .trim()
      .split('\n')
      .slice(1)
      .filter((l) => l.endsWith(',1')).length;
    expect(flagged).toBe(20);
  });

  it('writes to --output and leaves excluded columns out', () => {
    const out = join(dir, 'scores.csv');
    const r = runCli(['detect', data, '-a', 'iforest', '--exclude', 'f3', '--output', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8').split('\n')[0]).toBe('score,label');
    expect(r.stderr).toMatch(/wrote 400 rows to .*scores.csv/);
  });

  it('prints one JSON document with --json, with the same scores as the CSV', () => {
    const csv = runCli(['detect', data, '-a', 'iforest', '--seed', '5']);
    const r = runCli(['detect', data, '-a', 'iforest', '--seed', '5', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      algorithm: string;
      threshold: number;
      features: string[];
      rows: number;
      anomalies: number;
      scores: number[];
      labels: number[];
    };
    expect(doc).toMatchObject({
      algorithm: 'iforest',
      features: ['f0', 'f1', 'f2', 'f3'],
      rows: 400,
    });
    expect(doc.anomalies).toBe(doc.labels.filter((l) => l === 1).length);
    expect(doc.scores.map((s, i) => `${s},${doc.labels[i]}`)).toEqual(
      csv.stdout.trim().split('\n').slice(1),
    );
  });

  it('names the line and column of a non-numeric value, with the --exclude that skips it', () => {
    const file = join(dir, 'text.csv');
    writeFileSync(file, 'a,city,b\n1,Paris,2\n3,Oslo,4\n');
    const r = runCli(['detect', file, '-a', 'iforest']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("text.csv:2: column 'city' (2) has the non-numeric value 'Paris'");
    expect(r.stderr).toContain('--exclude city');
    const ok = runCli(['detect', file, '-a', 'iforest', '--exclude', 'city']);
    expect(ok.code).toBe(0);
  });

  it('names the line of a ragged row and of a missing value, and imputes when asked', () => {
    const ragged = join(dir, 'ragged.csv');
    writeFileSync(ragged, 'a,b\n1,2\n3\n');
    const r1 = runCli(['detect', ragged, '-a', 'iforest']);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/ragged.csv: line 3: Invalid Record Length: expect 2, got 1/);
    const missing = join(dir, 'missing.csv');
    writeFileSync(missing, 'a,b\n1,2\n3,\n5,6\n');
    const r2 = runCli(['detect', missing, '-a', 'iforest']);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(
      "missing.csv:3: column 'b' is missing a value; impute with --param missing=median",
    );
    const r3 = runCli(['detect', missing, '-a', 'iforest', '--param', 'missing=median']);
    expect(r3.code).toBe(0);
    expect(r3.stdout.trim().split('\n')).toHaveLength(4);
  });

  it('exits 2 with a clear message for usage errors', () => {
    const cases: [string[], RegExp][] = [
      [['detect', data], /--algorithm is required/],
      [['detect', data, '-a', 'forest'], /unknown algorithm; known algorithms: iforest/],
      [
        ['detect', data, '-a', 'iforest', '--param', 'nEstimators=-3'],
        /parameter 'nEstimators' of iforest must be an integer >= 1/,
      ],
      [
        ['detect', data, '-a', 'iforest', '--param', 'trees=3'],
        /unknown parameter 'trees' for iforest/,
      ],
      [['detect', data, '-a', 'iforest', '--param', 'x'], /expected key=value/],
      [['detect', data, '-a', 'iforest', '--exclude', 'nope'], /has no such column/],
      [['detect', join(dir, 'absent.csv'), '-a', 'iforest'], /no such file/],
      [['detect', data, '-a', 'iforest', '--bogus'], /Unknown option '--bogus'/],
      [['detect'], /detect takes FILE.csv \(local\) or DETECTOR_ID FILE.csv \(remote\), got 0/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
  });

  it('exits 1 for an empty file or one without data rows', () => {
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    expect(runCli(['detect', empty, '-a', 'iforest']).stderr).toMatch(/empty.csv is empty/);
    const headerOnly = join(dir, 'header.csv');
    writeFileSync(headerOnly, 'a,b\n');
    const r = runCli(['detect', headerOnly, '-a', 'iforest']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has a header but no data rows/);
  });
});
