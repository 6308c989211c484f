import { describe, expect, it } from 'vitest';
import { escapeCsvCell, toCsv } from './csv.js';

describe(escapeCsvCell.name, () => {
  it.each([
    ['=HYPERLINK("http://evil.example","x")', `"'=HYPERLINK(""http://evil.example"",""x"")"`],
    ['+1+1', "'+1+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\r=1', `"'\r=1"`],
  ])('neutralises the formula %j', (input, expected) => {
    expect(escapeCsvCell(input)).toBe(expected);
  });

  it('leaves ordinary text alone and quotes commas, quotes and line breaks', () => {
    expect(escapeCsvCell('sensor 7')).toBe('sensor 7');
    expect(escapeCsvCell('a,b')).toBe('"a,b"');
    expect(escapeCsvCell('say "hi"')).toBe('"say ""hi"""');
    expect(escapeCsvCell('two\nlines')).toBe('"two\nlines"');
    expect(escapeCsvCell('a=b')).toBe('a=b');
  });

  it('writes finite numbers as numbers, negative ones included', () => {
    expect(escapeCsvCell(-0.27)).toBe('-0.27');
    expect(escapeCsvCell(1e-7)).toBe('1e-7');
    expect(escapeCsvCell(-1e21)).toBe('-1e+21');
    expect(escapeCsvCell(0)).toBe('0');
  });

  it('writes non-finite numbers as neutralised text, and empty cells for null', () => {
    expect(escapeCsvCell(Number.NEGATIVE_INFINITY)).toBe("'-Infinity");
    expect(escapeCsvCell(Number.NaN)).toBe('NaN');
    expect(escapeCsvCell(null)).toBe('');
    expect(escapeCsvCell(undefined)).toBe('');
    expect(escapeCsvCell(true)).toBe('true');
  });
});

describe(toCsv.name, () => {
  it('escapes the header too and ends every line with CRLF', () => {
    const text = toCsv(
      ['row', '=cmd|calc'],
      [
        [1, '-@x'],
        [2, 'plain'],
      ],
    );
    expect(text).toBe("row,'=cmd|calc\r\n1,'-@x\r\n2,plain\r\n");
  });
});
