import type { Token } from './tokenize.ts';

/**
 * Vocabulary of the stonith.conf importer: an entry is one `<host> <command>` of LifeKeeper's
 * stonith.conf, a parsed command is what that command fences, and the result is the fencer.yaml /
 * relay.yaml fragments plus everything the operator still has to do.
 */

/** One `<host> <command>` entry, after typographic normalisation, run-together splitting and line joining. */
export interface Entry {
  /** Name of the source file (as given on the command line); used only in messages. */
  file: string;
  /** 1-based line the entry starts on. */
  line: number;
  /** Last line of the entry (differs from `line` when a wrapped command was joined). */
  endLine: number;
  /** The `<host>` column; undefined when the line starts with the command itself. */
  host: string | undefined;
  /** The command as a shell would split it (host excluded). */
  tokens: Token[];
  /** Set when the entry was found inside `#` comment text (a flattened web page). */
  fromComment: boolean;
}

/** Where the password of an on-prem target comes from. Literal values never reach the YAML. */
export type PasswordSource =
  | { from: 'literal'; value: string }
  /** `-E`, or a shell variable: the value lives in LifeKeeper's environment, not in the file. */
  | { from: 'environment'; variable: string }
  /** `ipmitool -f FILE`: the file must be copied to the relay host. */
  | { from: 'file'; path: string }
  | { from: 'none' };

export type IpmiInterface = 'lan' | 'lanplus';

/** What one stonith.conf command fences, in Fencer's terms. */
export type ParsedCommand =
  | {
      kind: 'ipmi';
      host: string;
      port: number;
      interface: IpmiInterface;
      cipherSuite: number | undefined;
      privilege: string;
      user: string;
      password: PasswordSource;
    }
  | { kind: 'vmware-cmd'; host: string; user: string; password: PasswordSource; vmx: string }
  | {
      kind: 'esxcli';
      server: string;
      user: string;
      password: PasswordSource;
      worldId: number;
      /** `--thumbprint` of the host certificate, kept so the relay trusts the same host. */
      thumbprint: string | undefined;
    }
  | { kind: 'azure-vm'; subscriptionId: string; resourceGroup: string; vmName: string }
  | { kind: 'aws-ec2'; region: string; instanceId: string };

export type ParseOutcome =
  | { ok: true; command: ParsedCommand; notes: string[] }
  | { ok: false; reason: string };

/** Values the file cannot say, supplied on the command line. */
export interface ImportOptions {
  cluster: string;
  relay: string;
  relayUrl: string | undefined;
  subscription: string | undefined;
  region: string | undefined;
}

/** A line that could not be mapped. `line` 0 means the file (or the import) as a whole. */
export interface Problem {
  file: string;
  line: number;
  /** The entry's text with passwords replaced by `***`: safe to print. */
  text: string;
  reason: string;
}

/** Something the operator should know about a mapped line (a converted form, an assumption). */
export interface Note {
  file: string;
  line: number;
  message: string;
}

/** A file for DIR/secrets/: a password found in stonith.conf. Written 0600, never printed. */
export interface SecretFile {
  relativePath: string;
  content: string;
}

/** A signing key the importer references but never invents into the YAML. */
export interface KeyFile {
  relativePath: string;
  purpose: string;
}

export interface ImportResult {
  /** The fencer.yaml fragment (clusters, nodes, levels, relays). */
  fencer: Record<string, unknown>;
  /** The relay.yaml fragment, when some target is on-prem. */
  relay: Record<string, unknown> | undefined;
  secrets: SecretFile[];
  /** Signing keys (nodes, relay, admin): `--out` generates them, otherwise the operator must. */
  keys: KeyFile[];
  /** Password files the operator must create on the relay host (`-E`, shell variables). */
  missingPasswords: string[];
  problems: Problem[];
  notes: Note[];
}
