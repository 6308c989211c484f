/** A fitted model written as its registry artifact (canonical JSON) with its SHA-256. */
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonicalJson,
  createDetector,
  Matrix,
  Random,
  type Detector,
} from '@nomaly/detection-core';

export const FEATURES = ['amount', 'hour', 'distance'];
export const MODEL_ID = '5d1c0a9e-4b7f-4f2e-9a31-7c6b5e4d3f21';

export function rows(n: number, seed: number): number[][] {
  const random = new Random(seed);
  return Array.from({ length: n }, (_, i) =>
    FEATURES.map(() => (i % 25 === 0 ? random.between(-6, 6) : random.normal())),
  );
}

export interface ModelArtifact {
  readonly dir: string;
  readonly path: string;
  readonly bytes: Buffer;
  readonly sha256: string;
  /** The library's own instance, to compare scores with. */
  readonly reference: Detector;
}

export async function writeArtifact(seed = 4): Promise<ModelArtifact> {
  const reference = createDetector('iforest', { seed, nEstimators: 60 }).fit(
    Matrix.fromRows(rows(400, seed), FEATURES),
  );
  const bytes = Buffer.from(canonicalJson(reference.toJSON()), 'utf8');
  const dir = await mkdtemp(join(tmpdir(), 'nomaly-lambda-'));
  const path = join(dir, 'model.json');
  await writeFile(path, bytes);
  return { dir, path, bytes, sha256: createHash('sha256').update(bytes).digest('hex'), reference };
}
