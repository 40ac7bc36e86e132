/**
 * Bicep's tokens, as bicepSyntax.ts needs them: newlines (they separate object and array
 * items), identifiers, numbers, punctuation, and strings with their value (null when
 * interpolated). Comments and other whitespace are dropped.
 */
export type Token = {
  type: 'nl' | 'id' | 'num' | 'str' | 'punct';
  text: string;
  value?: string | null;
};

const punctuation = [
  '??',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '=>',
  '.?',
  ...'{}[](),:.?!<>+-*/%=@|',
];

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    const space =
      /^[ \t\r]+/.exec(rest) ?? /^\/\/[^\n]*/.exec(rest) ?? /^\/\*[\s\S]*?\*\//.exec(rest);
    if (space) {
      i += space[0].length;
    } else if (rest[0] === '\n') {
      tokens.push({ type: 'nl', text: '\n' });
      i++;
    } else if (rest.startsWith("'''")) {
      const end = source.indexOf("'''", i + 3);
      if (end < 0) throw new Error('unterminated multi-line string');
      tokens.push({ type: 'str', text: source.slice(i, end + 3), value: source.slice(i + 3, end) });
      i = end + 3;
    } else if (rest[0] === "'") {
      const end = stringEnd(source, i);
      const body = source.slice(i + 1, end);
      // An interpolated string is a value computed at deploy time, not a literal.
      tokens.push({
        type: 'str',
        text: source.slice(i, end + 1),
        value: body.includes('${') ? null : body.replace(/\\(.)/g, '$1'),
      });
      i = end + 1;
    } else {
      const word = /^[A-Za-z_$][\w$]*/.exec(rest) ?? /^\d+(\.\d+)?/.exec(rest);
      const op = word ? undefined : punctuation.find((p) => rest.startsWith(p));
      if (word) tokens.push({ type: /^\d/.test(word[0]) ? 'num' : 'id', text: word[0] });
      else if (op) tokens.push({ type: 'punct', text: op });
      else throw new Error(`unexpected ${JSON.stringify(rest.slice(0, 20))}`);
      i += (word?.[0] ?? op ?? '').length;
    }
  }
  return tokens;
}

/** Index of the quote closing the string that opens at `start` (interpolations nest). */
function stringEnd(source: string, start: number): number {
  let depth = 0;
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (depth === 0 && c === "'") return i;
    else if (c === '$' && source[i + 1] === '{') {
      depth++;
      i++;
    } else if (depth > 0 && c === '}') depth--;
    else if (depth > 0 && c === "'") i = stringEnd(source, i);
  }
  throw new Error('unterminated string');
}
