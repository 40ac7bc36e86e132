import { type CloudDefaults, parseAws, parseAz } from './parseCloud.ts';
import { parseIpmitool } from './parseIpmitool.ts';
import { parseEsxcli, parseVmwareCmd } from './parseVmware.ts';
import { commandOf } from './segment.ts';
import type { Token } from './tokenize.ts';
import type { ParseOutcome } from './types.ts';

const ENV_ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
/** Redirections only change where LifeKeeper's log output goes. */
const REDIRECT = /^\d*(>|>>|>&|<)$/;

/**
 * Parses the command part of an entry (everything after `<host>`). Shell syntax beyond words,
 * `VAR=value` prefixes and redirections (pipes, `;`, `&&`, subshells) means the line does
 * something we cannot see, so it is reported instead of guessed at.
 */
export function parseCommand(tokens: readonly Token[], defaults: CloudDefaults): ParseOutcome {
  const words: string[] = [];
  const notes: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.kind === 'hash') break; // a trailing comment
    if (token.kind === 'op') {
      if (!REDIRECT.test(token.value)) {
        return { ok: false, reason: `shell operator "${token.value}" is not supported` };
      }
      i++; // the redirection's target
      notes.push('output redirection dropped');
      continue;
    }
    if (token.placeholder) {
      return { ok: false, reason: `placeholder ${token.value} was never filled in` };
    }
    words.push(token.value);
  }
  const env = new Map<string, string>();
  while (words.length > 0) {
    const assignment = ENV_ASSIGNMENT.exec(words[0] as string);
    if (!assignment) break;
    env.set(assignment[1] as string, assignment[2] as string);
    words.shift();
  }
  if (words[0] === 'sudo') words.shift();
  const [program, ...args] = words;
  if (program === undefined) return { ok: false, reason: 'no command after the host' };
  const command = commandOf(program);
  let outcome: ParseOutcome;
  switch (command) {
    case 'ipmitool':
      outcome = parseIpmitool(args, env);
      break;
    case 'vmware-cmd':
      outcome = parseVmwareCmd(args);
      break;
    case 'esxcli':
      outcome = parseEsxcli(args);
      break;
    case 'az':
      outcome = parseAz(args, defaults);
      break;
    case 'aws':
      outcome = parseAws(args, env, defaults);
      break;
    default:
      return {
        ok: false,
        reason: `unknown command "${program}" (imported: ipmitool, vmware-cmd, esxcli, az vm stop, aws ec2 stop-instances)`,
      };
  }
  for (const name of env.keys()) {
    if (name !== 'IPMI_PASSWORD' && name !== 'AWS_REGION' && name !== 'AWS_DEFAULT_REGION') {
      notes.push(`environment assignment ${name}=... dropped`);
    }
  }
  return outcome.ok ? { ...outcome, notes: [...notes, ...outcome.notes] } : outcome;
}
