import { ExecError } from '../errors.ts';
import type { RunResult } from '../runner.ts';

/** Maps a failed vSphere CLI call (vmware-cmd, esxcli) to a typed error by its output. */
export function classifyCliFailure(command: string, result: RunResult): ExecError {
  const text = `${result.stderr}\n${result.stdout}`;
  const last =
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .at(-1) ?? `exit ${result.exitCode}`;
  if (
    /incorrect user name or password|InvalidLogin|Cannot complete login|authentication/i.test(text)
  )
    return new ExecError('auth', `${command}: host refused the credentials (${last})`);
  if (/not found|No such|does not exist|Unable to find/i.test(text))
    return new ExecError('not-found', `${command}: ${last}`);
  if (/connect|timed out|unreachable|refused/i.test(text))
    return new ExecError('unreachable', `${command}: ${last}`);
  return new ExecError('failed', `${command}: ${last}`);
}
