/**
 * Test support for Nomaly's services: built services started as real processes, databases of
 * their own on the machine's Postgres, and a real auth-service for tokens. Test code only.
 */
export * from './auth.js';
export * from './database.js';
export * from './http.js';
export * from './process.js';
export * from './redis.js';
export * from './shared.js';
