import { describe, expect, it } from 'vitest';
import { Deadlines } from './deadlines.js';

describe(Deadlines.name, () => {
  it('fires each deadline once, in order, except the cancelled ones', async () => {
    const sut = new Deadlines();
    const fired: number[] = [];
    const handles = Array.from({ length: 3_000 }, (_, i) => sut.schedule(20, () => fired.push(i)));
    // Most are cancelled, which compacts the queue while the rest wait.
    handles.forEach((handle, i) => {
      if (i % 3 !== 0) sut.cancel(handle);
    });
    const other = sut.schedule(5, () => fired.push(-1));
    await new Promise<void>((resolve) => sut.schedule(40, resolve));
    expect(fired).toContain(-1);
    expect(fired.filter((i) => i >= 0)).toEqual(Array.from({ length: 1_000 }, (_, i) => i * 3));
    expect(other.cancelled).toBe(true);
    sut.cancel(other); // cancelling a fired deadline does nothing
  });

  it('keeps serving a duration after its queue ran empty', async () => {
    const sut = new Deadlines();
    const fired: string[] = [];
    await new Promise<void>((resolve) =>
      sut.schedule(5, () => {
        fired.push('first');
        resolve();
      }),
    );
    await new Promise<void>((resolve) =>
      sut.schedule(5, () => {
        fired.push('second');
        resolve();
      }),
    );
    expect(fired).toEqual(['first', 'second']);
  });
});
