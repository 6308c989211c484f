/**
 * NestJS adapters of the Nomaly platform: one call (`runService`) gives a service Fastify with
 * security headers, CORS, problem+json, validation, authentication, rate limits, idempotency,
 * health and metrics routes, OpenAPI, gRPC and graceful shutdown.
 */
export * from './auth/auth.guard.js';
export * from './auth/decorators.js';
export * from './auth/rate-limit.guard.js';
export * from './bootstrap.js';
export * from './grpc/grpc-errors.js';
export * from './health/health.controller.js';
export * from './http/id.pipe.js';
export * from './http/idempotency.interceptor.js';
export * from './http/page-request.js';
export * from './http/problem.js';
export * from './http/problem.filter.js';
export * from './http/validation.js';
export * from './lifecycle.js';
export * from './logger.js';
export * from './platform.module.js';
export * from './tokens.js';
