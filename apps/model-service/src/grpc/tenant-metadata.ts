import type { Metadata } from '@grpc/grpc-js';
import { ServiceError } from '@nomaly/platform-core';

/** The metadata key that carries the caller's tenant on every gRPC call. */
export const TENANT_METADATA_KEY = 'x-tenant-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The tenant a gRPC call acts for. Inside the mesh, Istio's mTLS and AuthorizationPolicies decide
 * which workloads may call; the calling service forwards the tenant of the request it serves.
 *
 * @throws ServiceError `VALIDATION_FAILED` (INVALID_ARGUMENT) when it is missing or not a UUID.
 */
export function tenantOf(metadata: Metadata | undefined): string {
  const values = metadata?.get(TENANT_METADATA_KEY) ?? [];
  const [value] = values;
  if (values.length !== 1 || typeof value !== 'string' || !UUID.test(value)) {
    throw new ServiceError(
      'VALIDATION_FAILED',
      `The ${TENANT_METADATA_KEY} metadata must carry exactly one tenant id (a UUID).`,
    );
  }
  return value.toLowerCase();
}

/** A model id from a request; anything but a UUID names no model, so it is "not found". */
export function modelIdOf(value: string): string {
  if (!UUID.test(value))
    throw new ServiceError('NOT_FOUND', `No model with id ${value.slice(0, 64)}.`);
  return value.toLowerCase();
}
