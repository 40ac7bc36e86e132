import {
  ADMIN_KEY_PATH,
  type MappedEntry,
  mapEntries,
  nodeKeyPath,
  relayKeyPath,
} from './mapper.ts';
import { parseCommand } from './parseCommand.ts';
import { readEntries } from './readEntries.ts';
import { passwordsIn, redactedText, scrub } from './redact.ts';
import { HOST_NAME } from './segment.ts';
import type { Token } from './tokenize.ts';
import type { Entry, ImportOptions, ImportResult, Note, Problem } from './types.ts';

export interface StonithConfSource {
  /** As the operator named it; only used in messages and the YAML header. */
  file: string;
  text: string;
}

export interface ImportOutput extends ImportResult {
  /** Per mapped entry, for the comments of the rendered YAML. */
  mapped: MappedEntry[];
  describe: Map<MappedEntry, string>;
}

/**
 * Imports one or more LifeKeeper stonith.conf files (one per server, or one shared) into one
 * cluster. Never throws on content: anything it cannot map is a problem with its line number.
 */
export function importStonithConf(
  sources: readonly StonithConfSource[],
  options: ImportOptions,
): ImportOutput {
  const defaults = { subscription: options.subscription, region: options.region };
  const read = sources.map((s) => readEntries(s.file, s.text, defaults));
  const entries = read.flatMap((r) => r.entries);
  // Collected over whole files, not entries: a mangled line may split `-P` from its value.
  const passwords = new Set(read.flatMap((r) => passwordsIn(r.tokens)));
  const problems: Problem[] = [];
  const notes: Note[] = [];
  const mapped: MappedEntry[] = [];
  const problem = (entry: Entry, reason: string) => {
    problems.push({
      file: entry.file,
      line: entry.line,
      text: scrub(redactedText(withHost(entry)), passwords),
      reason: scrub(reason, passwords),
    });
  };

  for (const entry of entries) {
    if (entry.host === undefined) {
      problem(
        entry,
        'no <host> column: the line starts with the command; write the LifeKeeper system name first (`<host> <command>`)',
      );
      continue;
    }
    if (/^<.*>$/.test(entry.host)) {
      problem(entry, `placeholder ${entry.host} was never filled in`);
      continue;
    }
    if (!HOST_NAME.test(entry.host)) {
      problem(entry, 'not a `<host> <command>` entry');
      continue;
    }
    const parsed = parseCommand(entry.tokens, defaults);
    if (!parsed.ok) {
      problem(entry, `${entry.host}: ${parsed.reason}`);
      continue;
    }
    const note = (message: string) =>
      notes.push({
        file: entry.file,
        line: entry.line,
        message: scrub(`${entry.host}: ${message}`, passwords),
      });
    if (entry.endLine > entry.line)
      note(`lines ${entry.line}-${entry.endLine} were joined (a wrapped command)`);
    if (entry.fromComment)
      note('found after comment text on the same line (a flattened web page?); check it');
    for (const message of parsed.notes) note(message);
    mapped.push({ file: entry.file, line: entry.line, node: entry.host, command: parsed.command });
  }

  const config = mapEntries(mapped, options);
  notes.push(...config.notes);
  const fileOrder = (file: string) => sources.findIndex((s) => s.file === file);
  notes.sort((a, b) => fileOrder(a.file) - fileOrder(b.file) || a.line - b.line);
  const nodes = [...new Set(mapped.map((m) => m.node))];
  // With no node at all the caller says "nothing to import"; this is for the half-imported pair.
  if (nodes.length === 1) {
    problems.push({
      file: sources.map((s) => s.file).join(', '),
      line: 0,
      text: '',
      reason: `a Fencer cluster needs at least 2 nodes with a fence path; found only ${nodes[0]}. Import every server's stonith.conf together`,
    });
  }
  const keys = nodes.map((node) => ({
    relativePath: nodeKeyPath(options.cluster, node),
    purpose: `signing key of node ${node} (cluster ${options.cluster})`,
  }));
  if (config.relay) {
    keys.push({
      relativePath: relayKeyPath(options.relay),
      purpose: `shared key of relay ${options.relay} (fencer.yaml and relay.yaml)`,
    });
  }
  keys.push({ relativePath: ADMIN_KEY_PATH, purpose: 'admin key "ops" (unfence, history)' });
  return {
    fencer: config.fencer,
    relay: config.relay,
    secrets: config.secrets,
    keys,
    missingPasswords: config.missingPasswords,
    problems,
    notes,
    mapped,
    describe: config.describe,
  };
}

/** The entry's words as written, `<host>` included (it may be a mangled word holding a password). */
function withHost(entry: Entry): Token[] {
  if (entry.host === undefined) return entry.tokens;
  return [{ kind: 'word', value: entry.host, quoted: false, placeholder: false }, ...entry.tokens];
}
