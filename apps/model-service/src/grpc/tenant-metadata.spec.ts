import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { modelIdOf, tenantOf, TENANT_METADATA_KEY } from './tenant-metadata.js';

const TENANT = '6F1B2C3D-4E5F-4a6b-8c7d-9e0f1a2b3c4d';

describe(tenantOf.name, () => {
  it('reads one UUID, lower-cased', () => {
    const metadata = new Metadata();
    metadata.set(TENANT_METADATA_KEY, TENANT);
    expect(tenantOf(metadata)).toBe(TENANT.toLowerCase());
  });

  it('refuses a missing, malformed or repeated tenant with VALIDATION_FAILED', () => {
    const repeated = new Metadata();
    repeated.add(TENANT_METADATA_KEY, TENANT);
    repeated.add(TENANT_METADATA_KEY, TENANT);
    const malformed = new Metadata();
    malformed.set(TENANT_METADATA_KEY, 'acme');
    for (const metadata of [undefined, new Metadata(), repeated, malformed]) {
      expect(() => tenantOf(metadata)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      );
    }
  });
});

describe(modelIdOf.name, () => {
  it('answers anything but a UUID as not found', () => {
    expect(modelIdOf(TENANT)).toBe(TENANT.toLowerCase());
    expect(() => modelIdOf("1' OR 1=1")).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});
