/** Problem codes of HTTP API v1 (DESIGN.md) with their HTTP status. A contract: do not rename. */
export const problemStatus = {
  'invalid-request': 400,
  unauthenticated: 401,
  replayed: 401,
  forbidden: 403,
  'unknown-cluster': 404,
  'not-found': 404,
  'unknown-target': 404,
  'method-not-allowed': 405,
  'reporter-fenced': 409,
  'self-report': 409,
  'in-flight': 409,
  'request-conflict': 409,
  'event-conflict': 409,
  'payload-too-large': 413,
  'storm-guard': 429,
  'internal-error': 500,
  'execution-failed': 502,
  unavailable: 503,
  'deadline-exceeded': 504,
} as const;

export type ProblemCode = keyof typeof problemStatus;

/** RFC 9457 problem details, plus our stable `code` and optional extension members. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  [extension: string]: unknown;
}

const titles: Record<ProblemCode, string> = {
  'invalid-request': 'Invalid request',
  unauthenticated: 'Not authenticated',
  replayed: 'Request replayed',
  forbidden: 'Forbidden',
  'unknown-cluster': 'Unknown cluster',
  'not-found': 'Not found',
  'unknown-target': 'Unknown target',
  'method-not-allowed': 'Method not allowed',
  'reporter-fenced': 'Reporter is fenced',
  'self-report': 'A node cannot report itself',
  'in-flight': 'A fence is in flight',
  'request-conflict': 'Request id reused for another request',
  'event-conflict': 'Event id reused for another target',
  'payload-too-large': 'Payload too large',
  'storm-guard': 'Refused by the storm guard',
  'internal-error': 'Internal error',
  'execution-failed': 'Execution failed',
  unavailable: 'Service unavailable',
  'deadline-exceeded': 'Deadline exceeded',
};

export function problem(
  code: ProblemCode,
  detail: string,
  extensions: Record<string, unknown> = {},
): Problem {
  return {
    type: `urn:fencer:problem:${code}`,
    title: titles[code],
    status: problemStatus[code],
    detail,
    code,
    ...extensions,
  };
}

/** Thrown inside request handling; the router turns it into a problem+json answer. */
export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(code: ProblemCode, detail: string, extensions: Record<string, unknown> = {}) {
    super(detail);
    this.name = 'ProblemError';
    this.problem = problem(code, detail, extensions);
  }
}
