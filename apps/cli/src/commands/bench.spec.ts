import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, writeLabelledCsv } from '../../test/run-cli.js';

describe('nomaly bench', () => {
  const dir = tempDir();
  const datasets = join(dir, 'datasets');
  beforeAll(() => {
    mkdirSync(datasets);
    writeLabelledCsv(join(datasets, 'small.csv'), { rows: 300, d: 3, seed: 1 });
    writeLabelledCsv(join(datasets, 'wider.csv'), { rows: 500, d: 8, seed: 2 });
  });

  it('prints JSON with quality and timings per data set and algorithm', () => {
    const r = runCli(['bench', '--datasets', datasets, '--algorithms', 'iforest,auto', '--json']);
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(results.map((x) => `${String(x['dataset'])}/${String(x['algorithm'])}`)).toEqual([
      'small/iforest',
      'small/auto',
      'wider/iforest',
      'wider/auto',
    ]);
    for (const x of results) {
      expect(Object.keys(x).sort()).toEqual(
        [
          'algorithm',
          'averagePrecision',
          'dataset',
          'features',
          'fitSeconds',
          'rocAuc',
          'rows',
          'scoreSeconds',
        ].sort(),
      );
      expect(x['rocAuc']).toBeGreaterThan(0.9);
      expect(x['fitSeconds']).toBeGreaterThan(0);
    }
    expect(results[2]).toMatchObject({ rows: 500, features: 8 });
  });

  it('prints a table with the machine and versions', () => {
    const r = runCli(['bench', '--datasets', datasets, '--algorithms', 'iforest', '--repeat', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/machine: \d+ × .*; node v\d+.*fastest of 2 run\(s\)/);
    expect(r.stdout).toContain(
      '| dataset | rows | d | algorithm | ROC-AUC | AP | fit s | score s | score rows/s |',
    );
    expect(r.stdout).toMatch(/\| small \| 300 \| 3 \| iforest \| 1\.0000 \|/);
  });

  it('fails clearly on a missing folder, an unknown algorithm or a file without labels', () => {
    expect(runCli(['bench', '--datasets', join(dir, 'nope')]).stderr).toMatch(/no such folder/);
    const bad = runCli(['bench', '--datasets', datasets, '--algorithms', 'iforest,magic']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown algorithm 'magic'/);
    expect(runCli(['bench', '--datasets', datasets, '--repeat', '0']).stderr).toMatch(
      /--repeat must be/,
    );
    const unlabelled = join(dir, 'unlabelled');
    mkdirSync(unlabelled);
    writeFileSync(join(unlabelled, 'x.csv'), 'a,b\n1,2\n3,4\n');
    const r = runCli(['bench', '--datasets', unlabelled, '--algorithms', 'iforest']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/x.csv has no 'label' column/);
  });
});

describe('nomaly algorithms', () => {
  it('lists every algorithm with its parameter schema', () => {
    const r = runCli(['algorithms', '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { name: string; parameters: { properties: object } }[];
    expect(list.map((a) => a.name)).toContain('iforest');
    expect(list.find((a) => a.name === 'iforest')!.parameters.properties).toHaveProperty(
      'nEstimators',
    );
  });
});
