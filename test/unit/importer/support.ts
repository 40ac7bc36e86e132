import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { type ImportIo, registerImportCommand } from '../../../cli/importStonithConf.ts';
import { UsageError } from '../../../cli/usageError.ts';
import { type ImportOutput, importStonithConf } from '../../../core/importer/importStonithConf.ts';
import type { ImportOptions } from '../../../core/importer/types.ts';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/stonith');
export const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555';

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

export function options(overrides: Partial<ImportOptions> = {}): ImportOptions {
  return {
    cluster: 'lifekeeper',
    relay: 'site1',
    relayUrl: undefined,
    subscription: undefined,
    region: undefined,
    ...overrides,
  };
}

/** Imports one fixture file through the core (no CLI). */
export function importFixture(name: string, overrides: Partial<ImportOptions> = {}): ImportOutput {
  const file = fixture(name);
  return importStonithConf([{ file: name, text: readFileSync(file, 'utf8') }], options(overrides));
}

export function importText(text: string, overrides: Partial<ImportOptions> = {}): ImportOutput {
  return importStonithConf([{ file: 'stonith.conf', text }], options(overrides));
}

/** Every relay target of the relay.yaml fragment, by name. */
export function targets(result: ImportOutput): Record<string, Record<string, unknown>> {
  return (result.relay?.targets ?? {}) as Record<string, Record<string, unknown>>;
}

/** The levels of one node of the default cluster. */
export function levels(result: ImportOutput, node: string, cluster = 'lifekeeper'): unknown[][] {
  const clusters = result.fencer.clusters as Record<
    string,
    { nodes: Record<string, { levels: unknown[][] }> }
  >;
  const found = clusters[cluster]?.nodes[node];
  if (!found) throw new Error(`node ${node} not imported`);
  return found.levels;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

let keyCounter = 0;

/**
 * Runs `fencer import-stonith-conf ARGS` in-process, registered on a program configured like
 * cli/main.ts (exitOverride; CommanderError and UsageError become exit 2).
 */
export async function runCli(args: readonly string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const io: ImportIo = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    setExitCode: (exitCode) => {
      code = exitCode;
    },
    // Distinct, valid-looking keys (32 bytes) without real randomness in assertions.
    randomKey: () => Buffer.alloc(32, ++keyCounter).toString('base64'),
  };
  const program = new Command()
    .exitOverride()
    .configureOutput({ writeOut: (t) => out.push(t), writeErr: (t) => err.push(t) });
  registerImportCommand(program, io);
  try {
    await program.parseAsync(['import-stonith-conf', ...args], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? 0 : 2;
    else if (e instanceof UsageError) {
      err.push(`fencer: ${e.message}\n`);
      code = 2;
    } else throw e;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}
