import type { Token } from './tokenize.ts';

/**
 * Finds the `<host> <command>` entries of one line. Text copied from a web page loses its line
 * breaks, so one line may hold a comment header followed by several entries:
 *
 *   # LifeKeeper STONITH configuration # # Example: ... power off minute-maid ipmitool -I ...
 *
 * A new entry starts wherever a host-like word is followed by a known command that looks used
 * (az → `vm`, aws → `ec2`, the others → an option). Inside a comment the same rule recovers
 * entries after prose, but a comment that *starts* with an entry is an entry the operator
 * disabled, and it stays disabled.
 */

export const COMMANDS = ['ipmitool', 'vmware-cmd', 'esxcli', 'az', 'aws'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** A LifeKeeper host name (and a Fencer node name): see `name` in core/config/schema.ts. */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Options whose next word is a value, so a host-like word after them is not an entry start. */
const VALUE_OPTIONS = new Set(['-H', '-U', '-P', '-p', '-I', '-L', '-C', '-f', '-g', '-n']);

export interface Segment {
  tokens: Token[];
  /** `loose`: the line starts with something that is not plainly an entry (maybe a wrapped tail). */
  shape: 'entry' | 'no-host' | 'loose';
  fromComment: boolean;
}

export function commandOf(word: string): CommandName | undefined {
  const base = word.slice(word.lastIndexOf('/') + 1).replace(/\.pl$/, '');
  return (COMMANDS as readonly string[]).includes(base) ? (base as CommandName) : undefined;
}

function wordAt(tokens: readonly Token[], i: number): string | undefined {
  const t = tokens[i];
  return t?.kind === 'word' && !t.placeholder ? t.value : undefined;
}

/** True when tokens[i] is a host and tokens[i + 1] a command that is plainly being used. */
export function isEntryStart(tokens: readonly Token[], i: number): boolean {
  const host = wordAt(tokens, i);
  const command = commandOf(wordAt(tokens, i + 1) ?? '');
  if (host === undefined || command === undefined || !HOST_NAME.test(host)) return false;
  if (commandOf(host) !== undefined) return false;
  const previous = wordAt(tokens, i - 1)?.trim();
  if (previous !== undefined && VALUE_OPTIONS.has(previous)) return false;
  const next = wordAt(tokens, i + 2) ?? '';
  if (command === 'az') return next === 'vm';
  if (command === 'aws') return next === 'ec2' || next.startsWith('--');
  return next.startsWith('-');
}

export function segmentLine(tokens: readonly Token[]): Segment[] {
  const segments: Segment[] = [];
  let current: Segment | undefined;
  let mode: 'entry' | 'comment' | 'disabled' = 'entry';
  // Entries after comment text on the same line all come from a flattened page.
  let afterComment = false;
  const close = () => {
    if (current) {
      // A trailing `|` is the border of the HTML table the entry was copied from.
      let last = current.tokens.at(-1);
      while (last?.kind === 'op' && last.value === '|') {
        current.tokens.pop();
        last = current.tokens.at(-1);
      }
      if (current.tokens.length > 0) segments.push(current);
    }
    current = undefined;
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.kind === 'hash') {
      close();
      afterComment = true;
      if (mode !== 'disabled') mode = isEntryStart(tokens, i + 1) ? 'disabled' : 'comment';
      continue;
    }
    if (mode === 'disabled') continue;
    if (token.kind === 'op' && token.value === '|' && current === undefined) continue;
    const startsEntry = isEntryStart(tokens, i);
    if (mode === 'comment') {
      if (!startsEntry) continue;
      mode = 'entry';
      current = { tokens: [token], shape: 'entry', fromComment: true };
      continue;
    }
    if (current === undefined) {
      const word = wordAt(tokens, i);
      const next = wordAt(tokens, i + 1);
      let shape: Segment['shape'] = 'loose';
      if (startsEntry) shape = 'entry';
      else if (word !== undefined && commandOf(word) !== undefined) shape = 'no-host';
      else if (word !== undefined && HOST_NAME.test(word) && next !== undefined) {
        shape = commandOf(next) !== undefined ? 'entry' : 'loose';
      }
      current = { tokens: [token], shape, fromComment: false };
      continue;
    }
    if (startsEntry && current.tokens.length > 1) {
      close();
      current = { tokens: [token], shape: 'entry', fromComment: afterComment };
      continue;
    }
    current.tokens.push(token);
  }
  close();
  return segments;
}
