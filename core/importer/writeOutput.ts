import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FencerError } from '../errors.ts';

export interface OutputFile {
  relativePath: string;
  content: string;
  /** 0o600 for anything secret, 0o644 for the YAML. */
  mode: number;
  /** Signing keys: with --force an existing one is kept, since nodes may already use it. */
  keepIfExists?: boolean;
}

export interface WriteReport {
  written: string[];
  kept: string[];
}

/** 32 random bytes as base64: the signing secret format of DESIGN.md ("Request signing"). */
export function randomSigningKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * Writes the import into `dir` (0700; secrets/ 0700; secret files 0600). Every target is checked
 * before anything is written, so a refused run leaves the folder as it was. Files are created
 * exclusively (after unlinking, with --force), so a planted symlink cannot redirect a secret.
 */
export function writeOutput(
  dir: string,
  files: readonly OutputFile[],
  force: boolean,
): WriteReport {
  const report: WriteReport = { written: [], kept: [] };
  const existing = files.filter((f) => exists(join(dir, f.relativePath)));
  const blocking = existing.filter((f) => !(force && f.keepIfExists));
  if (!force && blocking.length > 0) {
    throw new FencerError(
      'output-exists',
      `refusing to overwrite ${blocking.map((f) => join(dir, f.relativePath)).join(', ')} (pass --force)`,
    );
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const file of files) {
    const path = join(dir, file.relativePath);
    const folder = dirname(path);
    if (folder !== dir) {
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      // mkdir's mode is filtered by the umask and ignored for a folder that already exists.
      chmodSync(folder, 0o700);
    }
    if (exists(path)) {
      if (file.keepIfExists) {
        report.kept.push(path);
        continue;
      }
      rmSync(path, { force: true });
    }
    writeFileSync(path, file.content, { mode: file.mode, flag: 'wx' });
    chmodSync(path, file.mode);
    report.written.push(path);
  }
  return report;
}

/** The files a write would overwrite without `force` (none with it). */
export function existingFiles(dir: string, files: readonly OutputFile[], force: boolean): string[] {
  if (force) return [];
  return files.map((f) => join(dir, f.relativePath)).filter(exists);
}

function exists(path: string): boolean {
  if (existsSync(path)) return true;
  try {
    lstatSync(path); // a dangling symlink
    return true;
  } catch {
    return false;
  }
}
