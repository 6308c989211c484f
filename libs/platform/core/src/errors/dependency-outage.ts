/** Socket errors and the Postgres SQLSTATEs of a server that is down, restarting or full. */
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01', // admin_shutdown (pg_terminate_backend, restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08004',
  '08006', // connection exceptions
  '53300', // too_many_connections
]);
const OUTAGE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|not currently accepting connections|Client has encountered a connection error/i;

/** An infrastructure outage (not a bug): answered 503 with Retry-After rather than 500. */
export function isDependencyOutage(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    const { code, driverError } = current as Error & { code?: unknown; driverError?: unknown };
    if (typeof code === 'string' && OUTAGE_CODES.has(code)) return true;
    if (OUTAGE_MESSAGES.test(current.message)) return true;
    current = driverError ?? current.cause;
  }
  return false;
}
