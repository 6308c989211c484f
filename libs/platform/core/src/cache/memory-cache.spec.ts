import { describe, expect, it } from 'vitest';
import { MemoryCache } from './memory-cache.js';

describe(MemoryCache.name, () => {
  it('evicts the least recently used entry beyond maxEntries', async () => {
    const sut = new MemoryCache(2);
    await sut.set('a', '1', 60);
    await sut.set('b', '2', 60);
    expect(await sut.get('a')).toBe('1'); // a is now more recent than b
    await sut.set('c', '3', 60);
    expect(sut.size).toBe(2);
    expect(await sut.get('b')).toBeUndefined();
    expect(await sut.get('a')).toBe('1');
    expect(await sut.get('c')).toBe('3');
  });

  it('expires entries after their TTL', async () => {
    let now = 1_000_000;
    const sut = new MemoryCache(10, () => now);
    await sut.set('k', 'v', 2);
    now += 1_999;
    expect(await sut.get('k')).toBe('v');
    now += 1;
    expect(await sut.get('k')).toBeUndefined();
    expect(sut.size).toBe(0);
  });

  it('sets if absent, and again once the holder expired', async () => {
    let now = 0;
    const sut = new MemoryCache(10, () => now);
    expect(await sut.setIfAbsent('lock', 'a', 1)).toBe(true);
    expect(await sut.setIfAbsent('lock', 'b', 1)).toBe(false);
    expect(await sut.get('lock')).toBe('a');
    now += 1_000;
    expect(await sut.setIfAbsent('lock', 'c', 1)).toBe(true);
    await sut.delete('lock');
    expect(await sut.setIfAbsent('lock', 'd', 1)).toBe(true);
  });

  it('rejects a TTL that is not positive and a bound below 1', async () => {
    const sut = new MemoryCache();
    await expect(sut.set('k', 'v', 0)).rejects.toThrow(RangeError);
    await expect(sut.setIfAbsent('k', 'v', Number.NaN)).rejects.toThrow(/ttlSeconds/);
    expect(() => new MemoryCache(0)).toThrow(RangeError);
  });

  it('always pings ok and forgets everything on close', async () => {
    const sut = new MemoryCache();
    await sut.set('k', 'v', 60);
    expect(await sut.ping()).toEqual({ ok: true, latencyMs: 0 });
    await sut.close();
    expect(await sut.get('k')).toBeUndefined();
  });
});
