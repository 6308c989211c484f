import { describe, expect, it } from 'vitest';
import { CliError, ExitCode } from '../cli-error.js';
import {
  expectPositionals,
  integerOption,
  numberOption,
  parseParams,
  runSubcommand,
} from './args.js';
import { bar, formatTable } from './output.js';

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).exitCode).toBe(ExitCode.Usage);
    return (e as CliError).message;
  }
  throw new Error('expected a usage error');
}

describe('parseParams', () => {
  it('reads values as JSON when they parse, as text otherwise', () => {
    expect(
      parseParams([
        'nEstimators=200',
        'contamination=auto',
        'bootstrap=true',
        'maxSamples=0.5',
        'label=a=b',
        'weights=[1,2]',
      ]),
    ).toEqual({
      nEstimators: 200,
      contamination: 'auto',
      bootstrap: true,
      maxSamples: 0.5,
      label: 'a=b',
      weights: [1, 2],
    });
  });

  it('refuses a pair without a key or "=", and a key given twice', () => {
    expect(usage(() => parseParams(['x']))).toMatch(/--param x: expected key=value/);
    expect(usage(() => parseParams(['=3']))).toMatch(/--param =3: expected key=value/);
    expect(usage(() => parseParams(['a=1', 'a=2']))).toBe('--param a is given twice');
  });
});

describe('integerOption and numberOption', () => {
  it('accept values in range', () => {
    expect(integerOption('--limit', '200', 1, 200)).toBe(200);
    expect(integerOption('--seed', '0', 0)).toBe(0);
    expect(numberOption('--contamination', '0.05', 0, 0.5)).toBe(0.05);
  });

  it('name the option, the range and the value otherwise', () => {
    expect(usage(() => integerOption('--limit', '201', 1, 200))).toBe(
      "--limit must be an integer from 1 to 200, got '201'",
    );
    expect(usage(() => integerOption('--version', '1.5', 1))).toBe(
      "--version must be an integer >= 1, got '1.5'",
    );
    expect(usage(() => integerOption('--seed', 'seven', 0))).toMatch(/got 'seven'/);
    expect(usage(() => numberOption('--contamination', '0.7', 0, 0.5))).toBe(
      "--contamination must be a number from 0 to 0.5, got '0.7'",
    );
    expect(usage(() => numberOption('--contamination', '', 0, 0.5))).toMatch(/got ''/);
  });
});

describe('expectPositionals and runSubcommand', () => {
  it('name what a command takes when the count is wrong', () => {
    expect(expectPositionals('datasets show', ['abc'], ['ID'])).toEqual(['abc']);
    expect(usage(() => expectPositionals('datasets show', [], ['ID']))).toBe(
      'datasets show takes ID, got none',
    );
    expect(usage(() => expectPositionals('datasets list', ['x'], []))).toBe(
      'datasets list takes no arguments, got x',
    );
  });

  it('run the named subcommand, and refuse a missing or unknown one with the help', async () => {
    const ran: string[][] = [];
    const table = {
      list: (argv: string[]) => {
        ran.push(argv);
        return Promise.resolve();
      },
    };
    await runSubcommand('models', ['list', '--json'], table, 'HELP');
    expect(ran).toEqual([['--json']]);
    await expect(runSubcommand('models', [], table, 'HELP')).rejects.toThrow(
      /^models needs a subcommand: list\n\nHELP$/,
    );
    await expect(runSubcommand('models', ['drop'], table, 'HELP')).rejects.toThrow(
      /^models: unknown subcommand 'drop'; one of list/,
    );
  });
});

describe('formatTable and bar', () => {
  it('pads columns, right-aligns numbers and shows missing cells as -', () => {
    expect(
      formatTable(
        ['ID', 'NAME', 'ROWS'],
        [
          ['a1', 'cardio', 1831],
          ['b22', 'x', null],
        ],
      ),
    ).toBe('ID   NAME    ROWS\na1   cardio  1831\nb22  x          -\n');
    expect(formatTable(['ID'], [], '(no datasets)')).toBe('(no datasets)\n');
  });

  it('draws the share done, bounded to 0-100%', () => {
    expect(bar(0, 10, 10)).toBe('[----------]   0%');
    expect(bar(5, 10, 10)).toBe('[#####-----]  50%');
    expect(bar(12, 10, 10)).toBe('[##########] 100%');
    expect(bar(3, 0, 10)).toBe('[----------]   0%');
  });
});
