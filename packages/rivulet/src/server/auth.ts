import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * What a route needs: `public` routes (the dashboard's static files, which hold no data) need nothing,
 * `read` routes (queries, tails) the read or admin token when a read token is set, `write` routes
 * (produce, create, delete, stop) the admin token.
 */
export type RouteAccess = 'public' | 'read' | 'write';

/** The WebSocket subprotocol a browser offers with `rivulet.bearer.<token>`; the server echoes it. */
export const BEARER_SUBPROTOCOL = 'rivulet.bearer';
const BEARER_PREFIX = `${BEARER_SUBPROTOCOL}.`;

/**
 * The token a WebSocket upgrade carries in `Sec-WebSocket-Protocol` as the subprotocol
 * `rivulet.bearer.<token>` (a browser's WebSocket cannot send an Authorization header), as an
 * Authorization header value (`Bearer <token>`); undefined when it carries none.
 */
export function subprotocolAuthorization(header: string | string[] | undefined): string | undefined {
  const values = Array.isArray(header) ? header.join(',') : header;
  if (values === undefined) return undefined;
  for (const protocol of values.split(',')) {
    const p = protocol.trim();
    if (p.startsWith(BEARER_PREFIX) && p.length > BEARER_PREFIX.length)
      return `Bearer ${p.slice(BEARER_PREFIX.length)}`;
  }
  return undefined;
}

/**
 * The subprotocol the server chooses (ws's `handleProtocols`): `rivulet.bearer` when offered, else none.
 * Never the token-carrying one, so the token is not echoed back.
 */
export function chooseSubprotocol(protocols: Set<string>): string | false {
  return protocols.has(BEARER_SUBPROTOCOL) ? BEARER_SUBPROTOCOL : false;
}

/** Why a request was refused: 401 (no or unknown token) or 403 (the read-only token on a write route). */
export interface AuthRefusal {
  status: 401 | 403;
  code: 'UNAUTHORIZED' | 'FORBIDDEN';
  message: string;
}

export interface AuthOptions {
  /** The admin token: every route. Unset: write routes refuse every request. */
  token?: string | undefined;
  /** The read-only token. When set, read routes need it or the admin token; unset, they are open. */
  readToken?: string | undefined;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Checks `Authorization: Bearer <token>` (or a WebSocket's subprotocol token, as such a header) against the configured tokens. Tokens are compared as SHA-256
 * digests with `timingSafeEqual` (equal lengths, so neither a token's length nor its prefix leaks
 * through timing); both digests are always compared.
 */
export class Authenticator {
  readonly #admin: Buffer | undefined;
  readonly #read: Buffer | undefined;

  constructor(options: AuthOptions) {
    this.#admin = options.token === undefined || options.token === '' ? undefined : digest(options.token);
    this.#read =
      options.readToken === undefined || options.readToken === '' ? undefined : digest(options.readToken);
  }

  /** Whether read routes need a token. */
  get readProtected(): boolean {
    return this.#read !== undefined;
  }

  /** undefined when the request may proceed; otherwise the refusal to answer. */
  check(authorization: string | undefined, access: RouteAccess): AuthRefusal | undefined {
    if (access === 'public') return undefined;
    if (access === 'read' && this.#read === undefined) return undefined;
    const role = this.#role(authorization);
    if (role === 'admin') return undefined;
    if (role === 'read') {
      if (access === 'read') return undefined;
      return { status: 403, code: 'FORBIDDEN', message: 'the read-only token cannot call this route' };
    }
    return {
      status: 401,
      code: 'UNAUTHORIZED',
      message:
        authorization === undefined
          ? 'this route needs Authorization: Bearer <token>'
          : 'the bearer token is not valid',
    };
  }

  #role(authorization: string | undefined): 'admin' | 'read' | undefined {
    if (authorization === undefined) return undefined;
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (match === null) return undefined;
    const given = digest(match[1]!);
    // Compare against both, whatever the first says, so the time taken does not tell which matched.
    const admin = this.#admin !== undefined && timingSafeEqual(given, this.#admin);
    const read = this.#read !== undefined && timingSafeEqual(given, this.#read);
    return admin ? 'admin' : read ? 'read' : undefined;
  }
}
