import { createDetector, Matrix } from '@nomaly/detection-core';
import { describe, expect, it } from 'vitest';
import { ModelCache } from './model-cache.js';

const model = () => createDetector('hbos').fit(Matrix.fromRows([[0], [1], [2], [3]]));

describe(ModelCache.name, () => {
  it('evicts the least recently used entries beyond its byte bound', () => {
    const sut = new ModelCache(100);
    const [a, b, c] = [model(), model(), model()];
    sut.set('a', a, 40);
    sut.set('b', b, 40);
    expect(sut.get('a')).toBe(a); // a is now the most recent
    sut.set('c', c, 40);
    expect(sut.get('b')).toBeUndefined();
    expect(sut.get('a')).toBe(a);
    expect(sut.get('c')).toBe(c);
    expect(sut.size).toBe(2);
  });

  it('keeps an entry larger than the bound alone rather than nothing', () => {
    const sut = new ModelCache(10);
    const big = model();
    sut.set('small', model(), 5);
    sut.set('big', big, 50);
    expect(sut.get('big')).toBe(big);
    expect(sut.get('small')).toBeUndefined();
  });

  it('replaces an entry under the same key without double counting', () => {
    const sut = new ModelCache(100);
    sut.set('a', model(), 60);
    const newer = model();
    sut.set('a', newer, 60);
    sut.set('b', model(), 30);
    expect(sut.get('a')).toBe(newer);
    expect(sut.size).toBe(2);
  });
});
