import type { Token } from './tokenize.ts';

/** Options of the five tools (and of fence agents people paste) whose value is a password. */
const PASSWORD_OPTIONS = new Set(['-P', '-p', '--password', '--passwd', '--pass']);
const SECRET_VARIABLE = /^([A-Za-z_][A-Za-z0-9_]*(PASS|PW|SECRET|TOKEN|KEY)[A-Za-z0-9_]*)=/i;

/**
 * Every word of the tokens that is (or may be) a password: the value of a password option
 * (`-P pw`, `-Ppw`, `--password=pw`), or of a `*PASSWORD*=...` assignment. `-p` is ipmitool's
 * port, but hiding a port costs nothing and esxcli's `-p` is a password. Words are also looked at
 * piece by piece, so a password glued into a quoted or escaped word (`' -P pw'`) is found too.
 */
export function passwordsIn(tokens: readonly Token[]): string[] {
  const words = tokens.flatMap((t) => (t.kind === 'word' ? [t.value] : []));
  const pieces = words.flatMap((w) => w.trim().split(/\s+/));
  return [...new Set([...valuesAfterOptions(words), ...valuesAfterOptions(pieces)])].filter(
    (p) => p !== '',
  );
}

function valuesAfterOptions(words: readonly string[]): string[] {
  const found: string[] = [];
  words.forEach((word, i) => {
    const eq = word.indexOf('=');
    const name = (eq > 0 ? word.slice(0, eq) : word).trim();
    if (PASSWORD_OPTIONS.has(name)) {
      const value = eq > 0 ? word.slice(eq + 1) : words[i + 1];
      if (value !== undefined) found.push(value);
    } else if (/^-[Pp]./.test(name)) found.push(word.trim().slice(2));
    else if (SECRET_VARIABLE.test(word)) found.push(word.slice(eq + 1));
  });
  return found;
}

/** The tokens as one printable line, passwords replaced by `***`. */
export function redactedText(tokens: readonly Token[]): string {
  const secrets = new Set(passwordsIn(tokens));
  return tokens
    .map((token) => {
      if (token.kind === 'hash') return '#';
      if (token.kind === 'op') return token.value;
      const eq = token.value.indexOf('=');
      if (eq > 0 && secrets.has(token.value.slice(eq + 1)))
        return `${token.value.slice(0, eq)}=***`;
      if (secrets.has(token.value)) return '***';
      if (/^-[Pp]./.test(token.value) && secrets.has(token.value.slice(2))) {
        return `${token.value.slice(0, 2)}***`;
      }
      return /[\s'"]/.test(token.value) ? JSON.stringify(token.value) : token.value;
    })
    .join(' ');
}

/** Replaces every known password inside free text (a reason quoting a misplaced word). */
export function scrub(text: string, secrets: ReadonlySet<string>): string {
  let out = text;
  // Longest first, so `Bmc Pw 1` goes whole before its piece `Bmc`.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  for (const secret of ordered) if (secret.length > 0) out = out.split(secret).join('***');
  return out;
}
