import { GRPC_LOADER_OPTIONS, GRPC_PACKAGES, PROTO_FILES, protoPath } from '@nomaly/proto';
import type { ServiceDefinition } from '@nomaly/platform-nest';
import { AuthModule } from './auth.module.js';
import type { AuthConfig } from './config.js';
import { AUTH_ENTITIES, AUTH_MIGRATIONS, AUTH_SCHEMA } from './persistence/index.js';
import { SigningKeyService } from './signing-keys/signing-key.service.js';

export const AUTH_SERVICE_VERSION = '0.1.0';

/** The auth-service on the platform: its schema, its gRPC contract, and its own signing keys. */
export function authServiceDefinition(config: AuthConfig): ServiceDefinition {
  return {
    info: {
      title: 'Nomaly auth-service',
      description:
        'Tenants, users, roles and API keys; short-lived EdDSA access tokens and the JWKS that verifies them.',
      version: AUTH_SERVICE_VERSION,
    },
    config,
    imports: [AuthModule],
    database: { schema: AUTH_SCHEMA, entities: AUTH_ENTITIES, migrations: AUTH_MIGRATIONS },
    // The auth-service verifies tokens with the keys it signs with, read from its database.
    keySource: SigningKeyService,
    grpc: {
      package: GRPC_PACKAGES.auth,
      protoPath: protoPath(PROTO_FILES.auth),
      loader: { ...GRPC_LOADER_OPTIONS, includeDirs: [...GRPC_LOADER_OPTIONS.includeDirs] },
    },
  };
}
