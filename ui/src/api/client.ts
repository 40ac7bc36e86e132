import { signRequest } from './signing.ts';

/** A key the operator signed in with (kept in sessionStorage only, see session.ts). */
export interface Credentials {
  keyId: string;
  secret: string;
}

/** A failed call: the API's problem code and detail, or `network` when nothing answered. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(`${status ? `${status} ` : ''}${code}: ${detail}`);
  }
}

export interface Api {
  get<T>(pathWithQuery: string): Promise<T>;
  post<T>(pathWithQuery: string, body: unknown): Promise<T>;
  /** Reads the server's clock (unsigned health check), so a skewed local clock still signs. */
  calibrate(): Promise<void>;
}

/** The API lives one level above the page: `/api/ui/` → `/api`. */
export function apiBase(pageUrl: string): string {
  return new URL('..', pageUrl).pathname.replace(/\/$/, '');
}

// Only a large difference is corrected: the Date header has whole seconds.
const skewWorthCorrectingMs = 30_000;

export function createApi(credentials: Credentials, base: string, now = () => Date.now()): Api {
  let offsetMs = 0;
  const learnClock = (response: Response) => {
    const date = Date.parse(response.headers.get('date') ?? '');
    if (Number.isNaN(date)) return;
    const offset = date - now();
    offsetMs = Math.abs(offset) > skewWorthCorrectingMs ? offset : 0;
  };

  async function call<T>(method: 'GET' | 'POST', pathWithQuery: string, body?: unknown) {
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers = await signRequest({
      ...credentials,
      method,
      pathWithQuery,
      body: text,
      nowMs: now() + offsetMs,
    });
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${base}${pathWithQuery}`, {
        method,
        headers,
        cache: 'no-store',
        credentials: 'omit',
        ...(body === undefined ? {} : { body: text }),
      });
    } catch (err) {
      throw new ApiError(0, 'network', `the server did not answer (${String(err)})`);
    }
    learnClock(response);
    return (await readBody(response)) as T;
  }

  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    async calibrate() {
      try {
        learnClock(await fetch(`${base}/v1/health`, { cache: 'no-store', credentials: 'omit' }));
      } catch {
        // The signed call that follows reports the failure.
      }
    },
  };
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  let value: unknown;
  try {
    value = text ? JSON.parse(text) : undefined;
  } catch {
    value = undefined;
  }
  if (response.ok) return value;
  const problem = (value ?? {}) as { code?: unknown; detail?: unknown };
  throw new ApiError(
    response.status,
    typeof problem.code === 'string' ? problem.code : `http-${response.status}`,
    typeof problem.detail === 'string' ? problem.detail : response.statusText || 'no detail',
  );
}

/** Encodes one path segment (names are plain, but never trust that in a URL). */
export const seg = (value: string) => encodeURIComponent(value);
