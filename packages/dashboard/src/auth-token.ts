/**
 * The read token the user typed into the token form, kept in sessionStorage only (gone with the tab;
 * never in localStorage, a cookie or a URL). Sent as `Authorization: Bearer` on fetches and as the
 * WebSocket subprotocol `rivulet.bearer.<token>` (docs/server.md).
 */
const KEY = 'rivulet.token';

/** The subprotocol the server echoes when a socket offers a token. */
export const BEARER_SUBPROTOCOL = 'rivulet.bearer';

export function storedToken(): string | undefined {
  try {
    const token = sessionStorage.getItem(KEY);
    return token === null || token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

/** Headers for a same-origin API request: the stored token, if any. */
export function authHeaders(): Record<string, string> {
  const token = storedToken();
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/** Subprotocols for a WebSocket: `rivulet.bearer` and `rivulet.bearer.<token>` with a stored token. */
export function socketProtocols(): string[] {
  const token = storedToken();
  return token === undefined ? [] : [BEARER_SUBPROTOCOL, `${BEARER_SUBPROTOCOL}.${token}`];
}

const listeners = new Set<() => void>();

/** Called by the API client when the server answered 401: the page needs a (new) token. */
export function reportUnauthorized(): void {
  for (const listener of listeners) listener();
}

export function onUnauthorized(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
