import { EngineError } from 'rivulet';

export interface SchemaRegistryOptions {
  /** Base URL of a Confluent-compatible registry, e.g. 'http://127.0.0.1:8081'. Required. */
  url: string;
  /** HTTP basic auth (Confluent Cloud API key/secret) or a bearer token. */
  auth?: { username: string; password: string } | { token: string };
  /** The fetch implementation (default: the global fetch). */
  fetch?: typeof fetch;
  /** Per-request timeout in ms (default 10000); a timeout is CONNECTOR_UNAVAILABLE. */
  timeoutMs?: number;
}

/** A schema as the registry stores it. `schemaType` is absent for Avro (the registry's default). */
export interface RegisteredSchema {
  schema: string;
  schemaType?: 'AVRO' | 'PROTOBUF' | 'JSON';
  references?: Array<{ name: string; subject: string; version: number }>;
}

/** A schema registered under a subject at a version. */
export interface SubjectVersion extends RegisteredSchema {
  subject: string;
  id: number;
  version: number;
}

export interface SchemaRegistry {
  readonly url: string;
  /** GET /schemas/ids/{id}. Cached forever: an id always names the same schema. */
  schemaById(id: number): Promise<RegisteredSchema>;
  /** GET /subjects/{subject}/versions: the subject's version numbers (not cached). */
  versions(subject: string): Promise<number[]>;
  /** GET /subjects/{subject}/versions/{version}. Numbered versions are cached; 'latest' is not. */
  version(subject: string, version: number | 'latest'): Promise<SubjectVersion>;
  /** POST /subjects/{subject}/versions: registers (or finds) the schema, returns its id. Cached. */
  register(subject: string, schema: string | RegisteredSchema): Promise<number>;
  /** POST /subjects/{subject}: the subject's version holding this schema (SCHEMA_NOT_FOUND if none). Cached. */
  lookup(subject: string, schema: string | RegisteredSchema): Promise<SubjectVersion>;
  /** POST /compatibility/subjects/{subject}/versions/latest: whether the schema may be registered. */
  isCompatible(subject: string, schema: string | RegisteredSchema): Promise<boolean>;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/**
 * A client of the Confluent Schema Registry REST API (v1). Errors map to stable codes: error_code
 * 40401 (subject), 40402 (version) and 40403 (schema) not found -> SCHEMA_NOT_FOUND; 409 (incompatible)
 * and 42201 (invalid schema) -> SCHEMA_INCOMPATIBLE; 5xx, timeouts and network failures ->
 * CONNECTOR_UNAVAILABLE (retryable); other 4xx (401/403 auth, 422 invalid version...) ->
 * CONNECTOR_FAILED, not retryable. Every error's details name `connector: 'schema-registry'`, the
 * method, path, HTTP status and the registry's error_code. Concurrent identical cached reads share one
 * request; a failed request is not cached.
 */
export function createSchemaRegistry(options: SchemaRegistryOptions): SchemaRegistry {
  const config = validate(options);
  const baseUrl = config.url.replace(/\/+$/, '');
  const headers: Record<string, string> = { Accept: CONTENT_TYPE };
  if (config.auth !== undefined)
    headers.Authorization =
      'token' in config.auth
        ? `Bearer ${config.auth.token}`
        : `Basic ${Buffer.from(`${config.auth.username}:${config.auth.password}`).toString('base64')}`;
  const doFetch = config.fetch ?? globalThis.fetch;
  const timeoutMs = config.timeoutMs ?? 10_000;
  const cache = new Map<string, Promise<unknown>>();

  async function request<R>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<R> {
    const details = { connector: 'schema-registry', method, path };
    let response: Response;
    let text: string;
    try {
      response = await doFetch(baseUrl + path, {
        method,
        headers: body === undefined ? headers : { ...headers, 'Content-Type': CONTENT_TYPE },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new EngineError(
        'CONNECTOR_UNAVAILABLE',
        `schema registry ${baseUrl}: ${method} ${path} failed: ${(error as Error).message}`,
        { cause: error, details },
      );
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch (error) {
      if (response.ok || response.status < 500)
        throw new EngineError(
          'CONNECTOR_FAILED',
          `schema registry: ${method} ${path} answered ${response.status} with a body that is not JSON`,
          { cause: error, retryable: false, details: { ...details, status: response.status } },
        );
    }
    if (response.ok) return parsed as R;
    throw registryError(response.status, parsed, details);
  }

  /** A cached request: concurrent callers share it; a failure is forgotten so the next call retries. */
  function cached<R>(key: string, load: () => Promise<R>): Promise<R> {
    let promise = cache.get(key) as Promise<R> | undefined;
    if (promise === undefined) {
      promise = load();
      cache.set(key, promise);
      promise.catch(() => cache.delete(key));
    }
    return promise;
  }

  const subjectPath = (subject: string): string => `/subjects/${encodeURIComponent(checkSubject(subject))}`;

  return {
    url: baseUrl,
    schemaById: async (id) => {
      if (!Number.isInteger(id) || id < 0)
        throw new EngineError('INVALID_ARGUMENT', `schema id must be a non-negative integer, got ${id}`, {
          details: { connector: 'schema-registry' },
        });
      return cached(`id:${id}`, async () =>
        schemaOf(await request<Record<string, unknown>>('GET', `/schemas/ids/${id}`)),
      );
    },
    versions: async (subject) => {
      const versions = await request<unknown>('GET', `${subjectPath(subject)}/versions`);
      if (!Array.isArray(versions) || !versions.every(Number.isInteger))
        throw badBody('GET', `${subjectPath(subject)}/versions`, 'a list of version numbers');
      return versions as number[];
    },
    version: async (subject, version) => {
      if (version !== 'latest' && (!Number.isInteger(version) || version < 1))
        throw new EngineError('INVALID_ARGUMENT', `version must be a positive integer or 'latest'`, {
          details: { connector: 'schema-registry', version },
        });
      const path = `${subjectPath(subject)}/versions/${version}`;
      const load = async () =>
        subjectVersionOf(await request<Record<string, unknown>>('GET', path), 'GET', path);
      return version === 'latest' ? load() : cached(`v:${subject}:${version}`, load);
    },
    register: async (subject, schema) => {
      const body = bodyOf(schema);
      const path = `${subjectPath(subject)}/versions`;
      return cached(`reg:${subject}:${JSON.stringify(body)}`, async () => {
        const answer = await request<{ id?: unknown }>('POST', path, body);
        if (!Number.isInteger(answer?.id)) throw badBody('POST', path, '{ "id": <number> }');
        return answer.id as number;
      });
    },
    lookup: async (subject, schema) => {
      const body = bodyOf(schema);
      const path = subjectPath(subject);
      return cached(`lookup:${subject}:${JSON.stringify(body)}`, async () =>
        subjectVersionOf(await request<Record<string, unknown>>('POST', path, body), 'POST', path),
      );
    },
    isCompatible: async (subject, schema) => {
      const path = `/compatibility${subjectPath(subject)}/versions/latest`;
      const answer = await request<{ is_compatible?: unknown }>('POST', path, bodyOf(schema));
      if (typeof answer?.is_compatible !== 'boolean')
        throw badBody('POST', path, '{ "is_compatible": <boolean> }');
      return answer.is_compatible;
    },
  };
}

/** Maps an error answer to an EngineError by the registry's error_code, else by the HTTP status. */
function registryError(
  status: number,
  body: unknown,
  details: { connector: string; method: string; path: string },
): EngineError {
  const errorCode =
    typeof body === 'object' &&
    body !== null &&
    Number.isInteger((body as { error_code?: unknown }).error_code)
      ? ((body as { error_code: number }).error_code as number)
      : status;
  const said =
    typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
      ? (body as { message: string }).message
      : `HTTP ${status}`;
  const all = { ...details, status, errorCode };
  const text = `schema registry: ${details.method} ${details.path}: ${said} (${errorCode})`;
  if (errorCode === 40401 || errorCode === 40402 || errorCode === 40403)
    return new EngineError('SCHEMA_NOT_FOUND', text, { details: all });
  if (errorCode === 409 || errorCode === 42201)
    return new EngineError('SCHEMA_INCOMPATIBLE', text, { details: all });
  if (status >= 500 || status === 429)
    return new EngineError('CONNECTOR_UNAVAILABLE', text, { details: all, retryable: true });
  return new EngineError('CONNECTOR_FAILED', text, { details: all, retryable: false });
}

function bodyOf(schema: string | RegisteredSchema): RegisteredSchema {
  const body = typeof schema === 'string' ? { schema } : schema;
  if (typeof body?.schema !== 'string' || body.schema === '')
    throw new EngineError('INVALID_ARGUMENT', 'a schema must be its text (a non-empty string)', {
      details: { connector: 'schema-registry' },
    });
  const out: RegisteredSchema = { schema: body.schema };
  // AVRO is the registry's default and is left out, as Confluent's own clients do.
  if (body.schemaType !== undefined && body.schemaType !== 'AVRO') out.schemaType = body.schemaType;
  if (body.references !== undefined && body.references.length > 0) out.references = body.references;
  return out;
}

function schemaOf(body: Record<string, unknown>): RegisteredSchema {
  if (typeof body?.schema !== 'string') throw badBody('GET', '/schemas/ids', '{ "schema": <string> }');
  const out: RegisteredSchema = { schema: body.schema };
  if (typeof body.schemaType === 'string') out.schemaType = body.schemaType as RegisteredSchema['schemaType'];
  if (Array.isArray(body.references)) out.references = body.references as RegisteredSchema['references'];
  return out;
}

function subjectVersionOf(body: Record<string, unknown>, method: string, path: string): SubjectVersion {
  if (
    typeof body?.subject !== 'string' ||
    !Number.isInteger(body.id) ||
    !Number.isInteger(body.version) ||
    typeof body.schema !== 'string'
  )
    throw badBody(method, path, '{ subject, id, version, schema }');
  return {
    ...schemaOf(body),
    subject: body.subject,
    id: body.id as number,
    version: body.version as number,
  };
}

function badBody(method: string, path: string, expected: string): EngineError {
  return new EngineError(
    'CONNECTOR_FAILED',
    `schema registry: ${method} ${path} did not answer ${expected}`,
    {
      retryable: false,
      details: { connector: 'schema-registry', method, path },
    },
  );
}

function checkSubject(subject: string): string {
  if (typeof subject !== 'string' || subject === '')
    throw new EngineError('INVALID_ARGUMENT', 'subject must be a non-empty string', {
      details: { connector: 'schema-registry' },
    });
  return subject;
}

function validate(options: SchemaRegistryOptions): SchemaRegistryOptions {
  const fail = (option: string, what: string): never => {
    throw new EngineError('INVALID_ARGUMENT', `createSchemaRegistry: ${option} ${what}`, {
      details: { connector: 'schema-registry', option },
    });
  };
  if (options === null || typeof options !== 'object') fail('options', 'must be { url, auth?, fetch? }');
  let url: URL | undefined;
  try {
    url = new URL(options.url);
  } catch {
    fail('url', `must be an http(s) URL, got ${JSON.stringify(options.url)}`);
  }
  if (url!.protocol !== 'http:' && url!.protocol !== 'https:') fail('url', 'must use http or https');
  const auth = options.auth;
  if (auth !== undefined) {
    const basic =
      typeof auth === 'object' &&
      auth !== null &&
      'username' in auth &&
      typeof auth.username === 'string' &&
      typeof auth.password === 'string';
    const bearer =
      typeof auth === 'object' && auth !== null && 'token' in auth && typeof auth.token === 'string';
    if (!basic && !bearer) fail('auth', 'must be { username, password } or { token }');
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') fail('fetch', 'must be a function');
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0))
    fail('timeoutMs', 'must be a positive number');
  return options;
}
