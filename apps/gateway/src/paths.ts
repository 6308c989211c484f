import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: this file is apps/gateway/{src,dist}/paths.*. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The cluster's routing files, which the gateway serves by default. */
export const DEFAULT_ISTIO_DIR = resolve(REPO_ROOT, 'istio');
