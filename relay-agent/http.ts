import type { IncomingMessage, ServerResponse } from 'node:http';
import { maxBodyBytes } from '../core/protocol/api.ts';
import { ProblemError } from '../core/protocol/problems.ts';
import type { HttpAnswer } from './actions.ts';

/** The HTTP plumbing of the relay's server: headers in, body in (at most 16 KiB), answers out. */

export function headersOf(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * Reads at most 16 KiB. Past that it stops reading without destroying the request (a destroyed
 * socket could not carry the 413 answer); the answer then closes the connection.
 */
export function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        req.off('data', onData);
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function tooLarge(): ProblemError {
  return new ProblemError('payload-too-large', `the body is larger than ${maxBodyBytes} bytes`);
}

export function send(res: ServerResponse, answer: HttpAnswer): void {
  if (res.headersSent) return;
  const isProblem = answer.status >= 400;
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'Content-Type': isProblem ? 'application/problem+json' : 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...answer.headers,
  });
  res.end(text);
}
