/**
 * Hides the password of a connection URL so it can be logged. A string that does not parse as a
 * URL is masked as a whole rather than risk printing a secret in an unexpected format.
 */
export function maskUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '<unparseable database url>';
  }
  if (parsed.password !== '') parsed.password = '***';
  for (const key of [...parsed.searchParams.keys()]) {
    if (/pass|secret|key/i.test(key)) parsed.searchParams.set(key, '***');
  }
  return parsed.toString();
}
