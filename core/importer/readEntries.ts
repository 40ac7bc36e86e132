import { normalizeLine } from './normalize.ts';
import type { CloudDefaults } from './parseCloud.ts';
import { parseCommand } from './parseCommand.ts';
import { commandOf, HOST_NAME, type Segment, segmentLine } from './segment.ts';
import { type Token, tokenizeLine } from './tokenize.ts';
import type { Entry } from './types.ts';

interface LogicalLine {
  line: number;
  endLine: number;
  text: string;
}

/** Physical lines, with shell continuations (`\` at the end) joined as the shell would. */
function logicalLines(text: string): LogicalLine[] {
  const physical = text.split(/\r\n|\r|\n/);
  const out: LogicalLine[] = [];
  for (let i = 0; i < physical.length; i++) {
    const line = i + 1;
    let joined = normalizeLine(physical[i] as string);
    while (/(^|[^\\])(\\\\)*\\$/.test(joined) && i + 1 < physical.length) {
      joined = `${joined.slice(0, -1)} ${normalizeLine(physical[++i] as string)}`;
    }
    out.push({ line, endLine: i + 1, text: joined });
  }
  return out;
}

function toEntry(file: string, at: LogicalLine, segment: Segment): Entry {
  const [first, ...rest] = segment.tokens;
  const base = { file, line: at.line, endLine: at.endLine, fromComment: segment.fromComment };
  if (segment.shape === 'no-host' || first?.kind !== 'word') {
    return { ...base, host: undefined, tokens: segment.tokens };
  }
  return { ...base, host: first.value, tokens: rest };
}

/**
 * A line that cannot start an entry (it begins with `/vmfs/...`, or a word that is no command)
 * continues the entry above it when that entry is unfinished: web pages wrap long commands,
 * even in the middle of a word (`.../l` + `ampserver/lampserver.vmx stop hard`). A host-like
 * first word joins only if the joined command then parses, so a stray line after a good entry
 * never spoils it.
 */
function continues(open: Entry, tail: readonly Token[], defaults: CloudDefaults): boolean {
  if (parseCommand(open.tokens, defaults).ok) return false;
  const [first, second] = tail;
  // `<host> az vm ...`: a new entry (with an unfilled host), not the tail of the one above.
  if (second?.kind === 'word' && commandOf(second.value) !== undefined) return false;
  if (first?.kind !== 'word' || !HOST_NAME.test(first.value)) return true;
  return parseCommand([...open.tokens, ...tail], defaults).ok;
}

export interface ReadResult {
  entries: Entry[];
  /** Every token of the file, comments included, for finding passwords to keep out of messages. */
  tokens: Token[];
}

/** Every `<host> <command>` entry of one stonith.conf, in file order. */
export function readEntries(file: string, text: string, defaults: CloudDefaults): ReadResult {
  const entries: Entry[] = [];
  const all: Token[] = [];
  // The last entry of the previous line, while no blank or comment-only line came between.
  let open: Entry | undefined;
  for (const at of logicalLines(text)) {
    const tokens = tokenizeLine(at.text);
    all.push(...tokens);
    const segments = segmentLine(tokens);
    let last: Entry | undefined;
    segments.forEach((segment, index) => {
      if (index === 0 && segment.shape === 'loose' && open !== undefined) {
        if (continues(open, segment.tokens, defaults)) {
          open.tokens = [...open.tokens, ...segment.tokens];
          open.endLine = at.endLine;
          last = open;
          return;
        }
      }
      last = toEntry(file, at, segment);
      entries.push(last);
    });
    open = last;
  }
  return { entries, tokens: all };
}
