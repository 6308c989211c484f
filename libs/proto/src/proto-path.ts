import { isAbsolute, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the directory holding the .proto tree (`nomaly/<service>/v1/…`).
 *
 * Nest's gRPC transport loads .proto files at run time with proto-loader, so they ship with the
 * package. The path is resolved from this module's own location: `src/` in the workspace and
 * `dist/` once built both sit next to `proto/`, so it holds for source, build and install alike.
 */
export const PROTO_ROOT = fileURLToPath(new URL('../proto', import.meta.url));

/**
 * The absolute path of a .proto file given relative to {@link PROTO_ROOT}, as proto-loader and
 * Nest's `protoPath` option want it.
 *
 * @throws Error when `relative` is absolute or climbs out of the proto root.
 * @example protoPath('nomaly/auth/v1/auth_service.proto')
 */
export function protoPath(relative: string): string {
  const normalized = normalize(relative);
  if (isAbsolute(relative) || normalized === '..' || normalized.startsWith(`..${sep}`)) {
    throw new Error(
      `Argument 'relative' passed to 'protoPath' must be a path inside the proto root, got '${relative}'.`,
    );
  }
  return join(PROTO_ROOT, normalized);
}
