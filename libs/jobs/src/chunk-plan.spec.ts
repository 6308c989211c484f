import { describe, expect, it } from 'vitest';
import { ChunkPlan } from './chunk-plan.js';

describe(ChunkPlan.name, () => {
  it('cuts the rows into fixed chunks, the last one shorter', () => {
    const sut = new ChunkPlan(25, 10);
    expect(sut.count).toBe(3);
    expect([0, 1, 2].map((i) => sut.range(i))).toEqual([
      { offset: 0, rows: 10 },
      { offset: 10, rows: 10 },
      { offset: 20, rows: 5 },
    ]);
    expect(sut.chunkOf(0)).toBe(0);
    expect(sut.chunkOf(19)).toBe(1);
    expect(sut.chunkOf(24)).toBe(2);
  });

  it('has whole chunks when the size divides the rows, and none for no rows', () => {
    expect(new ChunkPlan(30, 10).range(2)).toEqual({ offset: 20, rows: 10 });
    expect(new ChunkPlan(0, 10).count).toBe(0);
  });

  it('finds the first chunk not stored yet, whatever is stored after it', () => {
    const sut = new ChunkPlan(50, 10);
    expect(sut.firstMissing(new Set())).toBe(0);
    expect(sut.firstMissing(new Set([0, 1, 3]))).toBe(2);
    expect(sut.firstMissing(new Set([0, 1, 2, 3, 4]))).toBeUndefined();
  });

  it('refuses impossible plans and chunks, naming the argument', () => {
    expect(() => new ChunkPlan(-1, 10)).toThrow(/'rows'/);
    expect(() => new ChunkPlan(10, 0)).toThrow(/'size'/);
    expect(() => new ChunkPlan(10.5, 3)).toThrow(/'rows'/);
    expect(() => new ChunkPlan(25, 10).range(3)).toThrow(/chunk 3 is outside 0\.\.2/);
  });
});
