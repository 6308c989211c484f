export {
  requestFingerprint,
  parseIdempotencyKey,
  MAX_IDEMPOTENCY_KEY_LENGTH,
} from './idempotency-key.js';
export {
  IdempotencyStore,
  type IdempotencyBegin,
  type IdempotencyStoreOptions,
  type StoredResponse,
} from './idempotency-store.js';
