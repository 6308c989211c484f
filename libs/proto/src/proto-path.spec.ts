import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTO_ROOT, protoPath } from './proto-path.js';

describe(protoPath.name, () => {
  it('resolves a file of the proto tree shipped next to src and dist', () => {
    expect(PROTO_ROOT).toMatch(/libs[/\\]proto[/\\]proto$/);
    const file = protoPath('nomaly/auth/v1/auth_service.proto');
    expect(file).toBe(join(PROTO_ROOT, 'nomaly', 'auth', 'v1', 'auth_service.proto'));
    expect(existsSync(file)).toBe(true);
  });

  it('refuses paths that leave the proto root', () => {
    for (const escaping of ['../package.json', '/etc/passwd', 'nomaly/../../x.proto']) {
      expect(() => protoPath(escaping)).toThrow(/Argument 'relative' passed to 'protoPath'/);
    }
  });
});
