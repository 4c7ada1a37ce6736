import { createHash, timingSafeEqual } from 'node:crypto';

/** What a route needs: `read` routes (queries, tails) or `write` routes (produce, create, delete, stop). */
export type RouteAccess = 'read' | 'write';

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
 * Checks `Authorization: Bearer <token>` against the configured tokens. Tokens are compared as SHA-256
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
