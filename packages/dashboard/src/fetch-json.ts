import { authHeaders, reportUnauthorized } from './auth-token.ts';

/** An HTTP error answered by the server: its stable `code` and message (`{code, message}` bodies). */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * GETs a same-origin JSON resource, with `Authorization: Bearer` when the user gave a token (a 401
 * asks for one: auth-token.ts, docs/dashboard.md). Resolves with the parsed body on 2xx; rejects with an ApiError
 * carrying the server's code otherwise (or HTTP_<status> when the body is not the error JSON).
 */
export async function fetchJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const headers = authHeaders();
  const response = await fetch(path, signal === undefined ? { headers } : { headers, signal });
  if (response.status === 401) reportUnauthorized();
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = (body ?? {}) as { code?: unknown; message?: unknown };
    throw new ApiError(
      response.status,
      typeof error.code === 'string' ? error.code : `HTTP_${response.status}`,
      typeof error.message === 'string' ? error.message : response.statusText,
    );
  }
  return body as T;
}

/** `encodeURIComponent` for one path segment (topic, store and key names are user data). */
export const segment = (value: string | number): string => encodeURIComponent(String(value));
