import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { FencerError } from '../errors.ts';

export interface SecretSource {
  env: Record<string, string | undefined>;
  /** Relative `file:` paths are resolved against this folder (the config file's). */
  baseDir: string;
}

/**
 * Resolves `env:NAME` or `file:PATH` to the secret's text. A file's trailing newline is
 * dropped (editors add one); nothing else is trimmed, because the HMAC key is the text as written.
 */
export function resolveSecret(ref: string, source: SecretSource): string {
  if (ref.startsWith('env:')) {
    const value = source.env[ref.slice(4)];
    if (value === undefined || value === '') {
      throw new FencerError('secret-missing', `environment variable ${ref.slice(4)} is not set`);
    }
    return value;
  }
  if (ref.startsWith('file:')) {
    const path = resolvePath(ref.slice(5), source.baseDir);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new FencerError('secret-missing', `cannot read secret file ${path} (${code})`, {
        cause: err,
      });
    }
    const value = text.replace(/\r?\n$/, '');
    if (value === '') throw new FencerError('secret-missing', `secret file ${path} is empty`);
    return value;
  }
  throw new FencerError('secret-invalid', 'a secretRef must be env:NAME or file:PATH');
}

export function resolvePath(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** Signing secrets are base64 text of at least 32 random bytes (DESIGN.md, Request signing). */
export function checkSigningSecret(secret: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(secret) && !/^[A-Za-z0-9_-]+={0,2}$/.test(secret)) {
    return 'a signing secret must be base64 text (e.g. `openssl rand -base64 32`)';
  }
  if (Buffer.from(secret, 'base64').length < 32) {
    return 'a signing secret must encode at least 32 random bytes (`openssl rand -base64 32`)';
  }
  return undefined;
}

/** For a `file:` secretRef readable by group or others: what to say about it. */
export function secretFileExposure(ref: string, source: SecretSource): string | undefined {
  if (!ref.startsWith('file:')) return undefined;
  const path = resolvePath(ref.slice(5), source.baseDir);
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o066) === 0) return undefined;
  return `secret file ${path} is open to group or others (mode ${mode.toString(8)}); chmod 600 it`;
}
