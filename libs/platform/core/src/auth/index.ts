export { ROLES, hasRole, isRole, type Role, type Principal } from './roles.js';
export {
  TokenVerifier,
  extractBearer,
  INVALID_TOKEN_MESSAGE,
  type AccessTokenClaims,
  type TokenAlgorithm,
  type TokenKeySource,
  type TokenVerifierOptions,
} from './token-verifier.js';
