/** The roles of the platform, most powerful first. */
export const ROLES = ['admin', 'analyst', 'viewer'] as const;

export type Role = (typeof ROLES)[number];

/** Who made a request, as established from a verified access token. */
export interface Principal {
  /** The user id, or the id of the user owning the API key (`sub`). */
  readonly subject: string;
  /** Every query is scoped by it (`tid`). */
  readonly tenantId: string;
  readonly roles: Role[];
  /** A person signed in, or a machine exchanging an API key (`knd`). */
  readonly kind: 'user' | 'api-key';
  /** The token's `jti`, for audit logs and revocation lists. */
  readonly tokenId: string;
  /** The API key the token was exchanged for (`akid`), when `kind` is `api-key`. */
  readonly apiKeyId?: string;
}

/** admin ⊇ analyst ⊇ viewer: a role grants everything the roles after it in ROLES grant. */
const RANK: Readonly<Record<Role, number>> = { admin: 2, analyst: 1, viewer: 0 };

/** Whether `principal` holds `required` or a role above it. */
export function hasRole(principal: Principal, required: Role): boolean {
  return principal.roles.some((role) => RANK[role] >= RANK[required]);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
