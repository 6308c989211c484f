import { describe, expect, it } from 'vitest';
import { JsonElementSplitter, JsonShapeError, type JsonElement } from './json-splitter.js';

function split(text: string, pieceLength: number): JsonElement[] {
  const sut = new JsonElementSplitter();
  const out: JsonElement[] = [];
  for (let i = 0; i < text.length; i += pieceLength)
    out.push(...sut.feed(text.slice(i, i + pieceLength)));
  sut.end();
  return out;
}

describe(JsonElementSplitter.name, () => {
  const records =
    ' [ {"a": 1, "b": "x,]}\\"["}, {"a": -2.5e3, "b": null} ,{"a":[1,{"c":2}],"b":"é"}]\n';

  it('yields each element of a top-level array, whatever the piece boundaries', () => {
    const expected = [
      { a: 1, b: 'x,]}"[' },
      { a: -2500, b: null },
      { a: [1, { c: 2 }], b: 'é' },
    ];
    for (const piece of [1, 2, 3, 7, 1000]) {
      const elements = split(records, piece);
      expect(elements.map((e) => e.key)).toEqual([undefined, undefined, undefined]);
      expect(elements.map((e) => JSON.parse(e.text) as unknown)).toEqual(expected);
    }
  });

  it('yields the elements under each key of a top-level object', () => {
    const table = '{"columns": ["x", "y\\"z"], "rows": [[1, "a"], [2, null]]}';
    for (const piece of [1, 5, 1000]) {
      const elements = split(table, piece).map((e) => [e.key, JSON.parse(e.text) as unknown]);
      expect(elements).toEqual([
        ['columns', 'x'],
        ['columns', 'y"z'],
        ['rows', [1, 'a']],
        ['rows', [2, null]],
      ]);
    }
  });

  it('yields nothing for empty arrays and objects', () => {
    expect(split('[]', 1)).toEqual([]);
    expect(split('{}', 1)).toEqual([]);
    expect(split('{"rows": []}', 1)).toEqual([]);
  });

  it.each([
    ['', 'ends before'],
    ['[1, 2', 'ends before'],
    ['[1,,2]', 'empty element'],
    ['[1,2,]', 'trailing comma'],
    ['"text"', 'must be an array or an object'],
    ['{"rows": 3}', 'must be an array'],
    ['[1] [2]', 'after the end'],
    ['[1}', 'Unexpected "}"'],
  ])('rejects %j (%s)', (text, message) => {
    expect(() => split(text, 2)).toThrow(JsonShapeError);
    expect(() => split(text, 2)).toThrow(message);
  });
});
