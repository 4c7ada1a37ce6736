import { isIP } from 'node:net';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** True for the addresses and names of this machine's loopback interface. */
function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.includes(host) || host.startsWith('127.') || host.endsWith('.localhost');
}

/** The host name of a `Host` header value (`name:port`, `[v6]:port`), lower-cased; undefined if malformed. */
export function hostName(header: string): string | undefined {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end < 0 ? undefined : value.slice(1, end);
  }
  const colon = value.indexOf(':');
  return colon < 0 ? value : value.slice(0, colon);
}

/**
 * Which `Host` headers the server answers (DNS rebinding defence): a page of another site whose name
 * was made to resolve to 127.0.0.1 sends its own name as Host (and as Origin, so the same-origin check
 * alone would let it through). A server bound to a loopback address answers only loopback names and
 * addresses (`localhost`, `*.localhost`, `127.x.x.x`, `::1`) plus `allowed`; bound elsewhere (e.g.
 * 0.0.0.0, for a reverse proxy) it answers the names in `allowed` and IP literals, or any host when
 * `allowed` is empty.
 */
export class HostCheck {
  readonly #loopbackOnly: boolean;
  readonly #allowed: ReadonlySet<string>;

  constructor(bindHost: string, allowed: readonly string[] = []) {
    this.#loopbackOnly = isLoopback(bindHost.toLowerCase());
    this.#allowed = new Set(allowed.map((h) => h.toLowerCase()));
  }

  allows(header: string | undefined): boolean {
    if (header === undefined || header === '') return false;
    const name = hostName(header);
    if (name === undefined) return false;
    if (this.#allowed.has(name)) return true;
    if (this.#loopbackOnly) return isLoopback(name);
    return this.#allowed.size === 0 || isIP(name) !== 0;
  }
}
