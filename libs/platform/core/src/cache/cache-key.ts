/**
 * Builds every Redis key of the platform: `nomaly:<service>:<entity>:<id>`. Keys are built here
 * and nowhere else so that one service can never read or clobber another's keys, and a key seen
 * in `redis-cli` says whose it is. `id` may contain `:` (composite ids); `service` and `entity`
 * may not, or `a:b` + `c` and `a` + `b:c` would collide.
 *
 * @throws TypeError for an empty segment or a `:` in `service` or `entity`.
 * @example cacheKey('detector-service', 'detector', id) // 'nomaly:detector-service:detector:…'
 */
export function cacheKey(service: string, entity: string, id: string): string {
  for (const [name, value] of [
    ['service', service],
    ['entity', entity],
  ] as const) {
    if (value.length === 0) throw new TypeError(`Argument '${name}' passed to 'cacheKey' is empty`);
    if (value.includes(':')) {
      throw new TypeError(`Argument '${name}' passed to 'cacheKey' contains ':' (got '${value}')`);
    }
  }
  if (id.length === 0) throw new TypeError(`Argument 'id' passed to 'cacheKey' is empty`);
  return `nomaly:${service}:${entity}:${id}`;
}
