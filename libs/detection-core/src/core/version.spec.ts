import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIBRARY_VERSION } from './version.js';

describe('LIBRARY_VERSION', () => {
  it('is the version in package.json, so model documents name the release that wrote them', () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      version: string;
    };
    expect(LIBRARY_VERSION).toBe(pkg.version);
  });
});
