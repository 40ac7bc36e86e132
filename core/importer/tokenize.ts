/**
 * Splits one (normalised) stonith.conf line the way LifeKeeper's shell would, leniently: the
 * input is often prose pasted from a web page, so an unbalanced quote is taken literally instead
 * of failing the whole line.
 */

export type Token =
  /** `placeholder`: a `<vm_id>`-style blank from the documentation that was never filled in. */
  | { kind: 'word'; value: string; quoted: boolean; placeholder: boolean }
  /** `|`, `;`, `&&`, `(`... and redirections (`>`, `2>`, `>>`, `2>&`). */
  | { kind: 'op'; value: string }
  /** An unquoted `#` at the start of a word: the rest is a comment to a shell. */
  | { kind: 'hash' };

const OPERATOR_CHARS = '|;&<>()`';
const PLACEHOLDER = /^<[^<>|;&\n]{1,40}>/;

export function tokenizeLine(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line.charAt(i);
    if (c === ' ' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      tokens.push({ kind: 'hash' });
      i++;
      continue;
    }
    const placeholder = c === '<' ? PLACEHOLDER.exec(line.slice(i)) : null;
    if (placeholder) {
      tokens.push({ kind: 'word', value: placeholder[0], quoted: false, placeholder: true });
      i += placeholder[0].length;
      continue;
    }
    if (OPERATOR_CHARS.includes(c)) {
      const op = readOperator(line, i, '');
      tokens.push({ kind: 'op', value: op });
      i += op.length;
      continue;
    }
    const word = readWord(line, i);
    i = word.end;
    // `2>/dev/null`: digits directly before `>` are a file descriptor, not a word.
    if (/^\d+$/.test(word.value) && !word.quoted && (line[i] === '>' || line[i] === '<')) {
      const op = readOperator(line, i, word.value);
      tokens.push({ kind: 'op', value: op });
      i += op.length - word.value.length;
      continue;
    }
    tokens.push({ kind: 'word', value: word.value, quoted: word.quoted, placeholder: false });
  }
  return tokens;
}

function readOperator(line: string, start: number, fd: string): string {
  const two = line.slice(start, start + 2);
  if (two === '>>' || two === '>&' || two === '&&' || two === '||' || two === '<<') {
    return fd + two;
  }
  return fd + line.charAt(start);
}

function readWord(line: string, start: number): { value: string; quoted: boolean; end: number } {
  let value = '';
  let quoted = false;
  let i = start;
  while (i < line.length) {
    const c = line.charAt(i);
    if (c === ' ' || OPERATOR_CHARS.includes(c)) break;
    if (c === '\\' && i + 1 < line.length) {
      value += line.charAt(i + 1);
      i += 2;
      continue;
    }
    if (c === "'" || c === '"') {
      const close = closingQuote(line, i);
      if (close === -1) {
        // Unbalanced (prose like "don't"): keep the quote as a character.
        value += c;
        i++;
        continue;
      }
      const inner = line.slice(i + 1, close);
      value += c === '"' ? inner.replace(/\\(["\\$`])/g, '$1') : inner;
      quoted = true;
      i = close + 1;
      continue;
    }
    value += c;
    i++;
  }
  return { value, quoted, end: i };
}

/** Index of the quote closing the one at `open`; inside "...", a backslash escapes the next char. */
function closingQuote(line: string, open: number): number {
  const quote = line.charAt(open);
  for (let i = open + 1; i < line.length; i++) {
    const c = line.charAt(i);
    if (c === quote) return i;
    if (quote === '"' && c === '\\') i++;
  }
  return -1;
}
