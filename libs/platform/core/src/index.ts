/**
 * Framework-free building blocks every Nomaly service stands on. The NestJS adapters live in
 * `@nomaly/platform-nest`; nothing here knows about Nest, HTTP frameworks or databases.
 */
export * from './config/index.js';
export * from './errors/index.js';
export * from './pagination/index.js';
export * from './observability/index.js';
export * from './resilience/index.js';
export * from './cache/index.js';
export * from './rate-limit/index.js';
export * from './idempotency/index.js';
export * from './auth/index.js';
export * from './grpc/index.js';
