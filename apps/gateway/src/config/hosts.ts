/**
 * One name per mesh host, so `detector-service`, `detector-service.nomaly`,
 * `detector-service.nomaly.svc` and `detector-service.nomaly.svc.cluster.local` are the same host
 * (the service's short name). Names outside the cluster domain (`api.example.com`) stay whole.
 * Namespaces do not take part: one local instance stands for a service in whichever namespace.
 */
export function canonicalHost(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.endsWith('.svc.cluster.local')) name = name.slice(0, -'.svc.cluster.local'.length);
  else if (name.endsWith('.svc')) name = name.slice(0, -'.svc'.length);
  else if (name.split('.').length !== 2) return name;
  return name.split('.')[0] ?? name;
}
