import { describe, expect, it } from 'vitest';
import { ArtifactCache } from './artifact-cache.js';

const entry = (size: number, sha256 = `sha-${size}`) => ({ bytes: Buffer.alloc(size), sha256 });

describe(ArtifactCache.name, () => {
  it('evicts the least recently used entries to stay within its byte bound', () => {
    const sut = new ArtifactCache(100);
    sut.set('a', entry(40));
    sut.set('b', entry(40));
    expect(sut.get('a', 'sha-40')).toBeDefined(); // a is now more recent than b
    sut.set('c', entry(40));
    expect(sut.get('b', 'sha-40')).toBeUndefined();
    expect(sut.get('a', 'sha-40')).toBeDefined();
    expect(sut.get('c', 'sha-40')).toBeDefined();
    expect(sut.totalBytes).toBe(80);
  });

  it('never answers for another digest, and skips entries larger than the bound', () => {
    const sut = new ArtifactCache(100);
    sut.set('a', entry(10, 'one'));
    expect(sut.get('a', 'two')).toBeUndefined();
    sut.set('huge', entry(101));
    expect(sut.get('huge', 'sha-101')).toBeUndefined();
    expect(sut.size).toBe(1);
  });

  it('replaces an entry without counting it twice', () => {
    const sut = new ArtifactCache(100);
    sut.set('a', entry(60));
    sut.set('a', entry(60));
    expect(sut.totalBytes).toBe(60);
    expect(() => new ArtifactCache(-1)).toThrow(RangeError);
  });
});
