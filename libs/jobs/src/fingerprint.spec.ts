import { describe, expect, it } from 'vitest';
import { jobFingerprint } from './fingerprint.js';

const detectorId = '2f0a7c3e-0b1d-4a56-9a62-0f3c2b7d9e11';
const datasetId = '8e03978e-40d5-43e8-bc93-6894a57f9324';

describe(jobFingerprint.name, () => {
  it('is the same for the same request, however it was spelled', () => {
    const a = jobFingerprint({ type: 'detect', detectorId, datasetId });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(jobFingerprint({ datasetId: datasetId.toUpperCase(), detectorId, type: 'detect' })).toBe(
      a,
    );
    expect(jobFingerprint({ type: 'detect', detectorId, datasetId, seed: undefined })).toBe(a);
  });

  it('differs when anything that would run differs', () => {
    const base = { type: 'train', detectorId, datasetId, seed: 1 };
    const a = jobFingerprint(base);
    expect(jobFingerprint({ ...base, type: 'detect' })).not.toBe(a);
    expect(jobFingerprint({ ...base, seed: 2 })).not.toBe(a);
    expect(jobFingerprint({ ...base, seed: undefined })).not.toBe(a);
    expect(jobFingerprint({ ...base, datasetId: detectorId })).not.toBe(a);
  });
});
