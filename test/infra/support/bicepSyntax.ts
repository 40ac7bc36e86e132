import { type Token, tokenize } from './bicepTokens.ts';

/**
 * A reader for the subset of Bicep that infra/bicep uses: declarations (param, var, resource,
 * module, output, type, targetScope, using), object and array literals, strings with
 * interpolation, ternaries, operators, calls, member and index access, `[for …]` and
 * `if (…)`. No Bicep compiler can be installed here; this turns the files into a tree that the
 * model checks walk. Anything it does not understand throws, so a check cannot pass by
 * silently skipping a construct.
 */
export type Node =
  | { kind: 'object'; entries: { key: string | null; value: Node }[] }
  | { kind: 'array'; items: Node[] }
  | { kind: 'for'; body: Node }
  | { kind: 'if'; condition: Node; body: Node }
  /** `text`: the value, or null when interpolated; `raw`: the source, quotes included. */
  | { kind: 'string'; text: string | null; raw: string }
  | { kind: 'literal'; text: string }
  | { kind: 'ident'; name: string }
  | { kind: 'member'; object: Node; name: string }
  | { kind: 'index'; object: Node; index: Node }
  | { kind: 'call'; callee: string; args: Node[] }
  | { kind: 'ternary'; condition: Node; then: Node; else: Node }
  | { kind: 'operator'; op: string; operands: Node[] };

export interface Declaration {
  keyword: string;
  name: string;
  /** resource: `Type@version`; module: its path. */
  target?: string;
  value?: Node;
  decorators: Node[];
}

const binary: string[][] = [
  ['??'],
  ['||'],
  ['&&'],
  ['==', '!='],
  ['<', '>', '<=', '>='],
  ['+', '-'],
  ['*', '/', '%'],
];

class Parser {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(skipNewlines = false): Token | undefined {
    let i = this.at;
    while (skipNewlines && this.tokens[i]?.type === 'nl') i++;
    return this.tokens[i];
  }
  private next(): Token {
    const token = this.tokens[this.at++];
    if (!token) throw new Error('unexpected end of file');
    return token;
  }
  private is(text: string, skipNewlines = false): boolean {
    const token = this.peek(skipNewlines);
    return token !== undefined && token.type !== 'str' && token.text === text;
  }
  private expect(text: string): void {
    this.newlines();
    const token = this.next();
    if (token.text !== text) throw new Error(`expected ${text}, got ${JSON.stringify(token.text)}`);
  }
  private newlines(): void {
    while (this.peek()?.type === 'nl') this.at++;
  }
  done(): boolean {
    this.newlines();
    return this.at >= this.tokens.length;
  }

  declaration(): Declaration {
    const decorators: Node[] = [];
    while (this.is('@', true)) {
      this.newlines();
      this.next();
      decorators.push(this.postfix());
    }
    this.newlines();
    const keyword = this.next().text;
    if (keyword === 'targetScope') {
      this.expect('=');
      return { keyword, name: keyword, value: this.expression(), decorators };
    }
    if (keyword === 'using') return { keyword, name: String(this.next().value), decorators };
    const name = this.next().text;
    if (keyword === 'resource' || keyword === 'module') {
      const target = this.next();
      if (target.type !== 'str' || !target.value)
        throw new Error(`${keyword} ${name}: no literal type`);
      if (this.is('existing')) this.next();
      this.expect('=');
      return { keyword, name, target: target.value, value: this.expression(), decorators };
    }
    if (keyword === 'type') {
      this.expect('=');
      this.skipType();
      return { keyword, name, decorators };
    }
    if (keyword === 'param' || keyword === 'output' || keyword === 'var') {
      if (keyword !== 'var' && !this.is('=')) this.skipType();
      if (keyword === 'param' && !this.is('=')) return { keyword, name, decorators };
      this.expect('=');
      return { keyword, name, value: this.expression(), decorators };
    }
    throw new Error(`unknown declaration ${keyword}`);
  }

  /** A type expression (`string`, `fenceScope[]`, `'a' | 'b'`, `{ … }`, `string?`), skipped. */
  private skipType(): void {
    let depth = 0;
    while (this.peek() && !(depth === 0 && (this.is('=') || this.peek()?.type === 'nl'))) {
      const token = this.next();
      if (token.text === '{' || token.text === '[') depth++;
      if (token.text === '}' || token.text === ']') depth--;
    }
  }

  expression(): Node {
    const condition = this.operators(0);
    if (!this.is('?', true)) return condition;
    this.newlines();
    this.next();
    this.newlines();
    const then = this.expression();
    this.expect(':');
    this.newlines();
    return { kind: 'ternary', condition, then, else: this.expression() };
  }

  private operators(level: number): Node {
    const ops = binary[level];
    if (!ops) return this.unary();
    let left = this.operators(level + 1);
    for (;;) {
      const op = ops.find((o) => this.is(o, true));
      if (!op) return left;
      this.newlines();
      this.next();
      this.newlines();
      left = { kind: 'operator', op, operands: [left, this.operators(level + 1)] };
    }
  }

  private unary(): Node {
    if (this.is('!') || this.is('-')) {
      const op = this.next().text;
      return { kind: 'operator', op, operands: [this.unary()] };
    }
    return this.postfix();
  }

  private postfix(): Node {
    let node = this.primary();
    for (;;) {
      if (this.is('.') || this.is('.?')) {
        this.next();
        node = { kind: 'member', object: node, name: this.next().text };
      } else if (this.is('[')) {
        this.next();
        if (this.is('?')) this.next();
        node = { kind: 'index', object: node, index: this.expression() };
        this.expect(']');
      } else if (this.is('(') && (node.kind === 'ident' || node.kind === 'member')) {
        this.next();
        const args: Node[] = [];
        while (!this.is(')', true)) {
          this.newlines();
          args.push(this.expression());
          if (this.is(',', true)) {
            this.newlines();
            this.next();
          }
        }
        this.expect(')');
        node = { kind: 'call', callee: calleeName(node), args };
      } else {
        return node;
      }
    }
  }

  private primary(): Node {
    this.newlines();
    const token = this.next();
    if (token.type === 'str') return { kind: 'string', text: token.value ?? null, raw: token.text };
    if (token.type === 'num') return { kind: 'literal', text: token.text };
    if (token.type === 'id') {
      if (['true', 'false', 'null'].includes(token.text))
        return { kind: 'literal', text: token.text };
      if (token.text === 'if' && this.is('(')) {
        this.next();
        const condition = this.expression();
        this.expect(')');
        return { kind: 'if', condition, body: this.expression() };
      }
      return { kind: 'ident', name: token.text };
    }
    if (token.text === '(') {
      const inner = this.expression();
      this.expect(')');
      return inner;
    }
    if (token.text === '{') return this.object();
    if (token.text === '[') return this.array();
    throw new Error(`unexpected ${JSON.stringify(token.text)}`);
  }

  private object(): Node {
    const entries: { key: string | null; value: Node }[] = [];
    while (!this.is('}', true)) {
      this.newlines();
      const key = this.next();
      if (key.type !== 'id' && key.type !== 'str') throw new Error(`bad object key ${key.text}`);
      this.expect(':');
      entries.push({
        key: key.type === 'id' ? key.text : (key.value ?? null),
        value: this.expression(),
      });
      if (this.is(',')) this.next();
    }
    this.expect('}');
    return { kind: 'object', entries };
  }

  private array(): Node {
    if (this.is('for', true)) {
      this.newlines();
      this.next();
      // `x in xs:` or `(x, i) in xs:`: the loop variables do not matter to the checks.
      while (!this.is('in')) this.next();
      this.next();
      this.expression();
      this.expect(':');
      const body = this.expression();
      this.expect(']');
      return { kind: 'for', body };
    }
    const items: Node[] = [];
    while (!this.is(']', true)) {
      items.push(this.expression());
      if (this.is(',')) this.next();
    }
    this.expect(']');
    return { kind: 'array', items };
  }
}

function calleeName(node: Node): string {
  if (node.kind === 'ident') return node.name;
  if (node.kind === 'member') return `${calleeName(node.object)}.${node.name}`;
  throw new Error('bad callee');
}

/** Every declaration of a Bicep (or .bicepparam) file, in order. */
export function parseBicep(source: string): Declaration[] {
  const parser = new Parser(tokenize(source));
  const declarations: Declaration[] = [];
  while (!parser.done()) declarations.push(parser.declaration());
  return declarations;
}

/** The value of key `key` of an object node (undefined if absent or not an object). */
export function property(node: Node | undefined, key: string): Node | undefined {
  return node?.kind === 'object' ? node.entries.find((e) => e.key === key)?.value : undefined;
}
