import { describe, expect, it } from 'vitest';
import { ROLES, hasRole, isRole } from './roles.js';
import type { Principal, Role } from './roles.js';

const principal = (...roles: Role[]): Principal => ({
  subject: 'u1',
  tenantId: 't1',
  roles,
  kind: 'user',
  tokenId: 'j1',
});

describe(hasRole.name, () => {
  it('orders admin ⊇ analyst ⊇ viewer', () => {
    const grants = (held: Role[]) =>
      ROLES.filter((required) => hasRole(principal(...held), required));
    expect(grants(['admin'])).toEqual(['admin', 'analyst', 'viewer']);
    expect(grants(['analyst'])).toEqual(['analyst', 'viewer']);
    expect(grants(['viewer'])).toEqual(['viewer']);
    expect(grants(['viewer', 'analyst'])).toEqual(['analyst', 'viewer']);
    expect(grants([])).toEqual([]);
  });
});

describe(isRole.name, () => {
  it('knows exactly the platform roles', () => {
    expect(ROLES.every(isRole)).toBe(true);
    expect(isRole('root')).toBe(false);
    expect(isRole(1)).toBe(false);
  });
});
