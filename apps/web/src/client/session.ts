/**
 * The access token of this tab. It lives in sessionStorage (gone when the tab closes, never
 * shared with other tabs); the API key it was exchanged for is never stored anywhere.
 */

const STORAGE_KEY = 'nomaly.session';
/** Treat a token as expired a little early, so a request never races its expiry. */
const EXPIRY_MARGIN_MS = 15_000;

export interface Session {
  readonly accessToken: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

export function loadSession(): Session | undefined {
  let text: string | null;
  try {
    text = sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return undefined;
  }
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as Partial<Session>;
    if (typeof value.accessToken !== 'string' || typeof value.expiresAt !== 'number') {
      clearSession();
      return undefined;
    }
    if (value.expiresAt - EXPIRY_MARGIN_MS <= Date.now()) {
      clearSession();
      return undefined;
    }
    return { accessToken: value.accessToken, expiresAt: value.expiresAt };
  } catch {
    clearSession();
    return undefined;
  }
}

export function saveSession(accessToken: string, expiresInSeconds: number): Session {
  const session = { accessToken, expiresAt: Date.now() + expiresInSeconds * 1000 };
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  } catch {
    // Storage disabled (private mode, policy): the session lasts until the page is reloaded.
  }
  return session;
}

export function clearSession(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored to clear.
  }
}
