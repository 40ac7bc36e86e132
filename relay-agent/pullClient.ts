import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { z } from 'zod';
import { signRequest } from '../core/auth/signing.ts';
import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { PulledAction } from '../core/protocol/relay.ts';
import type { RelayRuntimeConfig } from './config.ts';

/** Fencer's answers are small (at most 16 actions of 16 KiB each); more is not Fencer. */
const maxAnswerBytes = 1024 * 1024;

/** A poll or result post that got no usable answer; `status` when Fencer answered with a problem. */
export class PullError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'PullError';
  }
}

const pollAnswer = z.looseObject({
  actions: z
    .array(
      z.looseObject({
        headers: z.looseObject({
          'X-Fencer-Key': z.string(),
          'X-Fencer-Timestamp': z.string(),
          'X-Fencer-Nonce': z.string(),
          'X-Fencer-Signature': z.string(),
        }),
        body: z.string(),
      }),
    )
    .max(64),
});

type PullConfig = NonNullable<RelayRuntimeConfig['pull']>;

/**
 * The relay's side of pull mode's two routes: signed `POST /v1/relays/{name}/poll` and
 * `POST /v1/relays/{name}/results` (key id `relay/{name}`), over one keep-alive connection
 * pool, Fencer's certificate checked against the system CAs plus `pull.ca`.
 */
export class PullClient {
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly base: URL;

  constructor(
    private readonly pull: PullConfig,
    private readonly clock: Clock,
  ) {
    this.base = new URL(pull.url);
    this.agent =
      this.base.protocol === 'https:'
        ? new HttpsAgent({
            keepAlive: true,
            minVersion: 'TLSv1.2',
            ...(pull.ca ? { ca: pull.ca } : {}),
          })
        : new HttpAgent({ keepAlive: true });
  }

  get url(): string {
    return this.pull.url;
  }

  /** One long-poll: the actions Fencer hands out (none when `waitSeconds` passed). */
  async poll(waitSeconds: number, signal: AbortSignal): Promise<PulledAction[]> {
    const path = `/v1/relays/${encodeURIComponent(this.pull.keyName)}/poll?waitSeconds=${waitSeconds}`;
    // Fencer holds the poll up to waitSeconds; a silent connection is given up a bit later.
    const answer = await this.post(path, '', waitSeconds * 1000 + 15_000, signal);
    if (answer.status !== 200) throw problemError('poll', answer);
    let parsed: z.infer<typeof pollAnswer>;
    try {
      parsed = pollAnswer.parse(JSON.parse(answer.text));
    } catch {
      throw new PullError('the poll answer is not {actions:[...]}: is pull.url Fencer?');
    }
    return parsed.actions as PulledAction[];
  }

  /** Posts one result: true when Fencer took it, false when it knows no such requestId (404). */
  async postResult(body: string): Promise<boolean> {
    const path = `/v1/relays/${encodeURIComponent(this.pull.keyName)}/results`;
    const answer = await this.post(path, body, 15_000);
    if (answer.status === 204 || answer.status === 200) return true;
    if (answer.status === 404) return false;
    throw problemError('result', answer);
  }

  close(): void {
    this.agent.destroy();
  }

  private post(
    pathWithQuery: string,
    body: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ status: number; text: string }> {
    const headers = signRequest({
      keyId: `relay/${this.pull.keyName}`,
      secret: this.pull.secret,
      method: 'POST',
      pathWithQuery,
      body,
      nowMs: this.clock.now(),
    });
    const url = new URL(`${this.base.href.replace(/\/+$/, '')}${pathWithQuery}`);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method: 'POST',
        agent: this.agent,
        ...(signal ? { signal } : {}),
        timeout: timeoutMs,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      });
      req.on('timeout', () => req.destroy(new PullError(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err) =>
        reject(err instanceof PullError ? err : new PullError(errorMessage(err))),
      );
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxAnswerBytes) res.destroy(new PullError('the answer is over 1 MiB'));
          else chunks.push(chunk);
        });
        res.on('error', (err) =>
          reject(err instanceof PullError ? err : new PullError(errorMessage(err))),
        );
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      });
      req.end(body);
    });
  }
}

function problemError(what: string, answer: { status: number; text: string }): PullError {
  let code: string | undefined;
  let detail = `HTTP ${answer.status}`;
  try {
    const problem = JSON.parse(answer.text) as { code?: unknown; detail?: unknown };
    if (typeof problem.code === 'string') code = problem.code;
    if (typeof problem.detail === 'string') detail = `${code ?? answer.status}: ${problem.detail}`;
  } catch {
    // Not problem+json (a proxy's page): the status says enough.
  }
  return new PullError(`${what} refused: ${detail.slice(0, 300)}`, answer.status, code);
}
