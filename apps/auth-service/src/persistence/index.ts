import { InitialAuthSchema1764190000000 } from './migrations/1764190000000-initial-auth-schema.js';

export * from './entities.js';

/** Every migration of the `auth` schema, oldest first. */
export const AUTH_MIGRATIONS = [InitialAuthSchema1764190000000];
export const AUTH_SCHEMA = 'auth';
