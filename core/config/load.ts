import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { errorMessage } from '../errors.ts';
import { ConfigError, type ConfigIssue, fromZodIssues } from './issues.ts';
import { type FencerConfig, fencerConfig, isPullRelay } from './schema.ts';
import {
  checkSigningSecret,
  resolveSecret,
  type SecretSource,
  secretFileExposure,
} from './secrets.ts';

/** A validated config with every signing key resolved, ready for the API and the worker. */
export interface LoadedConfig {
  file: string;
  /** Folder that relative paths in the config (secret files, status files, CAs) are resolved against. */
  baseDir: string;
  config: FencerConfig;
  /** Resolves any secretRef of this config (driver credentials resolve lazily through this). */
  secret(ref: string): string;
  /** `cluster/node`, `admin/name`, `viewer/name` or `relay/name` (pull-mode relays) → secret. */
  keys: ReadonlyMap<string, string>;
  /** Not errors, but worth an operator's look (e.g. a secret file others can read). */
  warnings: string[];
}

export interface LoadOptions {
  env?: Record<string, string | undefined>;
  /** Validate structure only; do not read env vars or secret files (for `config validate --skip-secrets`). */
  skipSecrets?: boolean;
}

/** Reads and validates `fencer.yaml`. Throws ConfigError listing every problem by path. */
export function loadConfigFile(file: string, options: LoadOptions = {}): LoadedConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [{ path: '(file)', message: `cannot read: ${errorMessage(err)}` }]);
  }
  return parseConfig(text, path, options);
}

export function parseConfig(text: string, file: string, options: LoadOptions = {}): LoadedConfig {
  const lines = new LineCounter();
  // logLevel: a collection used as a key is an unknown field below, not a process warning.
  const doc = parseDocument(text, {
    prettyErrors: false,
    uniqueKeys: true,
    lineCounter: lines,
    logLevel: 'error',
  });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: `(yaml line ${lines.linePos(e.pos[0]).line})`,
        message: e.message.split('\n')[0] ?? e.message,
      })),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS() ?? {};
  } catch (err) {
    // yaml refuses to expand a document with too many aliases (a resource-exhaustion guard).
    throw new ConfigError(file, [{ path: '(yaml)', message: errorMessage(err) }]);
  }
  const parsed = fencerConfig.safeParse(value);
  if (!parsed.success) throw new ConfigError(file, fromZodIssues(parsed.error.issues));
  const config = parsed.data;
  const source: SecretSource = { env: options.env ?? process.env, baseDir: dirname(file) };
  const secret = (ref: string) => resolveSecret(ref, source);
  const keys = new Map<string, string>();
  const warnings: string[] = [];
  if (!options.skipSecrets) {
    const issues = checkSecrets(config, source, warnings);
    if (issues.length > 0) throw new ConfigError(file, issues);
    for (const [clusterName, cluster] of Object.entries(config.clusters)) {
      for (const [nodeName, node] of Object.entries(cluster.nodes)) {
        keys.set(`${clusterName}/${nodeName}`, secret(node.key.secretRef));
      }
    }
    for (const [adminName, ref] of Object.entries(config.admins)) {
      keys.set(`admin/${adminName}`, secret(ref.secretRef));
    }
    for (const [viewerName, ref] of Object.entries(config.viewers)) {
      keys.set(`viewer/${viewerName}`, secret(ref.secretRef));
    }
    for (const [relayName, relay] of Object.entries(config.relays)) {
      if (isPullRelay(relay)) keys.set(`relay/${relayName}`, secret(relay.key.secretRef));
    }
  }
  return { file, baseDir: source.baseDir, config, secret, keys, warnings };
}

/**
 * Every secretRef in the tree must resolve; signing keys must be strong enough, and no two keys
 * (nodes, admins, viewers, relays) may share a secret: a node holding another key's secret
 * could sign as it. A `file:` secret that group or others can read is a warning.
 */
function checkSecrets(
  config: FencerConfig,
  source: SecretSource,
  warnings: string[],
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const signingPaths = new Set<string>();
  for (const [c, cluster] of Object.entries(config.clusters)) {
    for (const n of Object.keys(cluster.nodes)) signingPaths.add(`clusters.${c}.nodes.${n}.key`);
  }
  for (const a of Object.keys(config.admins)) signingPaths.add(`admins.${a}`);
  for (const v of Object.keys(config.viewers)) signingPaths.add(`viewers.${v}`);
  // A pull-mode relay's key also signs its own polls and results: a key that authenticates to
  // Fencer like the others, so it shares a secret with nothing.
  const relays = Object.entries(config.relays);
  for (const [r] of relays.filter(([, relay]) => isPullRelay(relay)))
    signingPaths.add(`relays.${r}.key`);
  const keyPaths = new Set(signingPaths);
  // A push relay key signs Fencer's actions to a site: several addresses of one site's relays
  // may share it, but a node, admin or viewer holding it could power off that site's machines.
  const relayPaths = new Set(
    relays.filter(([, relay]) => !isPullRelay(relay)).map(([r]) => `relays.${r}.key`),
  );
  for (const path of relayPaths) keyPaths.add(path);
  const firstPathOf = new Map<string, string>();
  walk(config, '', (path, ref) => {
    try {
      const value = resolveSecret(ref, source);
      const weak = signingPaths.has(path) ? checkSigningSecret(value) : undefined;
      if (weak) issues.push({ path: `${path}.secretRef`, message: weak });
      const seen = keyPaths.has(path) ? firstPathOf.get(value) : undefined;
      const shared = seen && !(relayPaths.has(seen) && relayPaths.has(path)) ? seen : undefined;
      if (shared) {
        const message = `the same secret as ${shared}: every key needs its own secret`;
        issues.push({ path: `${path}.secretRef`, message });
      } else if (keyPaths.has(path)) firstPathOf.set(value, path);
      const exposed = secretFileExposure(ref, source);
      if (exposed) warnings.push(`${path}: ${exposed}`);
    } catch (err) {
      issues.push({ path: `${path}.secretRef`, message: errorMessage(err) });
    }
  });
  return issues;
}

function walk(value: unknown, path: string, visit: (path: string, ref: string) => void): void {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) walk(item, `${path}[${i}]`, visit);
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.secretRef === 'string') {
      visit(path, record.secretRef);
      return;
    }
    for (const [key, child] of Object.entries(record))
      walk(child, path ? `${path}.${key}` : key, visit);
  }
}
