import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './process.js';

/**
 * The folder of shared benchmark data sets (`../shared` beside the repository, or
 * `NOMALY_SHARED_DIR`), or undefined. A user's clone has none, and suites that need it say so;
 * CI sets NOMALY_REQUIRE_SHARED=1, so there a missing folder fails instead of skipping.
 */
export function sharedDir(): string | undefined {
  const candidates = [process.env.NOMALY_SHARED_DIR, join(REPO_ROOT, '..', 'shared')];
  const found = candidates.find(
    (candidate) =>
      candidate !== undefined && candidate !== '' && existsSync(join(candidate, 'datasets')),
  );
  if (found === undefined && process.env.NOMALY_REQUIRE_SHARED === '1') {
    throw new Error(
      `NOMALY_REQUIRE_SHARED=1 but no shared folder with datasets/ was found (tried ${candidates.filter(Boolean).join(', ')})`,
    );
  }
  return found;
}
