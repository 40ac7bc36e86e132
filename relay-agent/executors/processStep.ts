import { ExecError } from '../errors.ts';
import { maskSecrets, type RunResult, redact } from '../runner.ts';
import type { CallContext, ExecutorDeps } from './types.ts';

export interface ProcessCall {
  file: string;
  args: readonly string[];
  /** Extra variables for this call (the password); added to `deps.childEnv`. */
  env?: Readonly<Record<string, string>>;
  /** Masked in the step's command and detail. */
  secrets: readonly string[];
}

/**
 * Runs one process for an executor and records it as a step: the redacted command line, how
 * long it took, and the last line of its output. A timeout is an ExecError `timeout`; any
 * other exit is returned, for the executor to classify.
 */
export async function runProcessStep(
  deps: ExecutorDeps,
  call: CallContext,
  input: ProcessCall,
): Promise<RunResult> {
  const command = redact(input.file, input.args, input.secrets);
  const startedAt = deps.clock.now();
  let result: RunResult;
  try {
    result = await deps.runner.run({
      file: input.file,
      args: input.args,
      env: { ...deps.childEnv, ...input.env },
      timeoutMs: call.timeoutMs,
      signal: call.signal,
    });
  } catch (err) {
    const detail = maskSecrets(err instanceof Error ? err.message : String(err), input.secrets);
    call.record(step(command, startedAt, deps.clock.now() - startedAt, false, detail));
    throw err;
  }
  // Killed by our own per-call timer or by the call's signal (same budget): a timeout.
  const timedOut = result.timedOut || call.signal.aborted;
  const ok = result.exitCode === 0 && !timedOut;
  const detail = timedOut
    ? `no answer within ${call.timeoutMs} ms (killed)`
    : maskSecrets(summarize(result), input.secrets);
  call.record(step(command, startedAt, result.elapsedMs, ok, detail));
  if (timedOut) {
    throw new ExecError('timeout', `${input.file}: no answer within ${call.timeoutMs} ms`);
  }
  return result;
}

function step(command: string, startedAt: number, elapsedMs: number, ok: boolean, detail: string) {
  return { command, startedAt: new Date(startedAt).toISOString(), elapsedMs, ok, detail };
}

/** The last meaningful output line: the answer on success, the reason on failure. */
export function summarize(result: RunResult): string {
  const lines = (text: string) =>
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
  const out = lines(result.stdout);
  const err = lines(result.stderr);
  const last = result.exitCode === 0 ? (out.at(-1) ?? err.at(-1)) : (err.at(-1) ?? out.at(-1));
  const exit = result.exitCode === 0 ? '' : ` (exit ${result.exitCode ?? result.signal})`;
  return `${(last ?? '').slice(0, 300)}${exit}`.trim();
}
