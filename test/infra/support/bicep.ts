import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const bicepDir = fileURLToPath(new URL('../../../infra/bicep', import.meta.url));

/** No Bicep compiler exists here: tests read the files as text, with these helpers. */
export function readBicep(path: string): string {
  return readFileSync(`${bicepDir}/${path}`, 'utf8')
    .split('\n')
    .map((line) => line.replace(/(^|\s)\/\/.*$/, '$1')) // comments say things code must not
    .join('\n');
}

/** The balanced `[…]` or `{…}` that opens first after `start` (a literal or a pattern). */
export function section(text: string, start: string | RegExp): string {
  const match = typeof start === 'string' ? text.indexOf(start) : text.search(start);
  if (match < 0) throw new Error(`no ${String(start)}`);
  const open = text.slice(match).search(/[[{]/) + match;
  const close = { '[': ']', '{': '}' }[text[open] as '[' | '{'];
  let depth = 0;
  let quoted = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "'" && text[i - 1] !== '\\') quoted = !quoted;
    if (quoted) continue;
    if (c === text[open]) depth++;
    if (c === close && --depth === 0) return text.slice(open, i + 1);
  }
  throw new Error(`unbalanced section after ${String(start)}`);
}

/** `'…'` string literals of an array section, in order. */
export function strings(sectionText: string): string[] {
  return [...sectionText.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1] ?? '');
}

/** `name: '…'` entries of an app settings array section → their `value:` text. */
export function settings(sectionText: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of sectionText.matchAll(/\{\s*name:\s*'([^']+)',?\s*value:\s*([^}\n]+?)\s*\}/g)) {
    found.set(m[1] ?? '', m[2] ?? '');
  }
  return found;
}

/** Top-level keys of an object section (`key: value` items at its own depth). */
export function keys(objectText: string): string[] {
  const found: string[] = [];
  let depth = 0;
  let quoted = false;
  let itemStart = true;
  for (let i = 0; i < objectText.length; i++) {
    const c = objectText[i] ?? '';
    if (c === "'") quoted = !quoted;
    if (quoted) continue;
    if ('{[('.includes(c)) {
      depth++;
      itemStart = depth === 1;
      continue;
    }
    if ('}])'.includes(c)) depth--;
    if (depth !== 1) continue;
    if (c === '\n' || c === ',') {
      itemStart = true;
    } else if (itemStart && !/\s/.test(c)) {
      const key = /^([A-Za-z_]\w*)\s*:/.exec(objectText.slice(i));
      if (key?.[1]) found.push(key[1]);
      itemStart = false;
    }
  }
  return found;
}

/** `param NAME TYPE` declarations: name → whether it has a default (`= …`). */
export function params(text: string): Map<string, boolean> {
  const found = new Map<string, boolean>();
  for (const m of text.matchAll(/^param\s+(\w+)\s+[^\n=]+?(=.*)?$/gm)) {
    found.set(m[1] ?? '', m[2] !== undefined);
  }
  return found;
}
