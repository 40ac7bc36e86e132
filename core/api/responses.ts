import { type Problem, ProblemError } from '../protocol/problems.ts';
import type { ApiResponse } from './types.ts';

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): ApiResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body,
  };
}

export function problemResponse(
  problem: Problem,
  headers: Record<string, string> = {},
): ApiResponse {
  return {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8', ...headers },
    body: problem,
  };
}

/** Parses a JSON body with a zod schema; any failure is 400 `invalid-request` naming the field. */
export function parseJsonBody<T>(
  body: Uint8Array,
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  allowEmpty = false,
): T {
  const text = Buffer.from(body).toString('utf8');
  let value: unknown;
  if (text.trim() === '' && allowEmpty) value = {};
  else {
    try {
      value = JSON.parse(text);
    } catch {
      throw new ProblemError('invalid-request', 'the body is not valid JSON');
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`)
      .join('; ');
    throw new ProblemError('invalid-request', detail);
  }
  return parsed.data;
}
