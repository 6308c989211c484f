import { GrowableFloat64 } from './quantiles.js';

/**
 * cyrb53 (bryc, public domain): a fast 53-bit string hash, exact in a double. Used to find
 * duplicate rows in bounded memory (8 bytes a row); two different rows collide with
 * probability about n²/2⁵⁴ (≈ 3·10⁻⁵ for a million rows), which a quality report can bear.
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Counts rows equal to an earlier row (so three equal rows count two duplicates). */
export class DuplicateRowCounter {
  private readonly hashes = new GrowableFloat64(4096);

  /** `keys` are the row's canonical cell keys (`null` for missing). */
  add(keys: ReadonlyArray<string | null>): void {
    // The separator and the missing marker are control characters no key contains by chance.
    this.hashes.push(hash53(keys.map((key) => (key === null ? '\u0000' : key)).join('\u001f')));
  }

  count(): number {
    const sorted = this.hashes.view().slice().sort();
    let duplicates = 0;
    for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) duplicates += 1;
    return duplicates;
  }
}
