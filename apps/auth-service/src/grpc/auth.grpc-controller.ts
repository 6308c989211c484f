import { Controller } from '@nestjs/common';
import { ServiceError, type Role } from '@nomaly/platform-core';
import { authV1, timestampFromDate } from '@nomaly/proto';
import { ApiKeyService } from '../api-keys/api-key.service.js';

const ROLE_TO_PROTO: Readonly<Record<Role, authV1.Role>> = {
  admin: authV1.Role.ROLE_ADMIN,
  analyst: authV1.Role.ROLE_ANALYST,
  viewer: authV1.Role.ROLE_VIEWER,
};

/**
 * `nomaly.auth.v1.AuthService` for other services. Inside the mesh, Istio's mTLS and an
 * AuthorizationPolicy decide which workloads may call it; it reveals nothing a caller holding
 * the key could not learn by exchanging it.
 */
@Controller()
@authV1.AuthServiceControllerMethods()
export class AuthGrpcController implements authV1.AuthServiceController {
  constructor(private readonly apiKeys: ApiKeyService) {}

  async introspectApiKey(
    request: authV1.IntrospectApiKeyRequest,
  ): Promise<authV1.IntrospectApiKeyResponse> {
    // An empty key is a broken call, not a key to judge (the proto's contract).
    if (request.apiKey === '') {
      throw new ServiceError('VALIDATION_FAILED', 'api_key must not be empty.');
    }
    try {
      const key = await this.apiKeys.verify(request.apiKey);
      return {
        active: true,
        tenantId: key.tenantId,
        keyId: key.id,
        subject: `apikey:${key.id}`,
        roles: key.roles.map((role) => ROLE_TO_PROTO[role]),
        ...(key.expiresAt === null ? {} : { expiresAt: timestampFromDate(key.expiresAt) }),
      };
    } catch (error) {
      // An invalid key is an answer ("not active"), as in OAuth token introspection (RFC 7662).
      if (error instanceof ServiceError && error.code === 'UNAUTHENTICATED') {
        return { active: false, tenantId: '', keyId: '', subject: '', roles: [] };
      }
      throw error;
    }
  }
}
