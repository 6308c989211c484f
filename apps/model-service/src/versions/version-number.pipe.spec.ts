import { describe, expect, it } from 'vitest';
import { aliasOf, PROMOTION_TARGETS } from '../aliases/alias.dto.js';
import { parseVersionNumber, VersionNumberPipe } from './version-number.pipe.js';
import { stageOf } from './version.service.js';

describe(parseVersionNumber.name, () => {
  it('accepts positive 32-bit integers only', () => {
    expect(parseVersionNumber('1')).toBe(1);
    expect(parseVersionNumber(2_147_483_647)).toBe(2_147_483_647);
    for (const bad of ['0', '-1', '01', '1.5', '1e3', '2147483648', '', 'latest']) {
      expect(parseVersionNumber(bad), bad).toBeUndefined();
    }
  });

  it('answers a path segment that cannot be a version as not found', () => {
    expect(() => new VersionNumberPipe().transform('latest')).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });
});

describe('stages', () => {
  it('maps stage names onto aliases and aliases back onto stages', () => {
    expect(PROMOTION_TARGETS.map(aliasOf)).toEqual([
      'champion',
      'challenger',
      'champion',
      'challenger',
      'archived',
    ]);
    expect(stageOf(['champion'], null)).toBe('production');
    expect(stageOf(['challenger'], null)).toBe('staging');
    expect(stageOf([], new Date())).toBe('archived');
    expect(stageOf([], null)).toBe('none');
  });
});
