export { generateApiKey, hashApiKey, parseApiKey, safeEqualHex } from './api-keys.js';
export type { GeneratedApiKey } from './api-keys.js';
export { MIN_MASTER_SECRET_LENGTH, SecretBox } from './envelope.js';
export {
  PASSWORD_POLICY,
  checkPasswordPolicy,
  hashPassword,
  passwordNeedsRehash,
  verifyPassword,
} from './passwords.js';
export { SIGNING_ALGORITHM, generateSigningKey, toPublicJwks } from './signing-keys.js';
export type { GeneratedSigningKey } from './signing-keys.js';
export { TokenIssuer, generateRefreshToken, parseRefreshToken } from './token-issuer.js';
export type { AccessTokenClaims, IssuedToken, TokenIssuerOptions } from './token-issuer.js';
