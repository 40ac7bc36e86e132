import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue, formatPath, fromZodIssues } from '../core/config/issues.ts';
import { checkSigningSecret, resolvePath, resolveSecret } from '../core/config/secrets.ts';
import { errorMessage } from '../core/errors.ts';
import {
  parseListen,
  type RelayRuntimeConfig,
  type RelayTargetYaml,
  type RelayYaml,
  type ResolvedTarget,
  relayYaml,
} from './config.ts';

/**
 * Reads, validates and resolves `relay.yaml`. Every problem is reported at once, by path
 * (`targets.bmc-a.ipmi.password: environment variable BMC_A_PW is not set`), so an operator
 * fixes a file in one round. Secrets and files are read here, not per action: a broken
 * reference shows at start-up or reload, not in the middle of a fence.
 */
export function loadRelayConfig(
  file: string,
  env: Record<string, string | undefined> = process.env,
): RelayRuntimeConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [{ path: '(root)', message: `cannot read: ${errorMessage(err)}` }]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      path,
      doc.errors.map((e) => ({ path: '(root)', message: `YAML: ${e.message}` })),
    );
  }
  const parsed = relayYaml.safeParse(doc.toJS());
  if (!parsed.success) throw new ConfigError(path, fromZodIssues(parsed.error.issues));
  return resolveRelayConfig(parsed.data, path, env);
}

export function resolveRelayConfig(
  yaml: RelayYaml,
  file: string,
  env: Record<string, string | undefined>,
): RelayRuntimeConfig {
  const baseDir = dirname(file);
  const issues: ConfigIssue[] = [];
  const at = (p: PropertyKey[]) => formatPath(p);
  const secret = (ref: string, p: PropertyKey[]): string => {
    try {
      return resolveSecret(ref, { env, baseDir });
    } catch (err) {
      issues.push({ path: at(p), message: errorMessage(err) });
      return '';
    }
  };
  const readPem = (value: string, p: PropertyKey[]): Buffer => {
    try {
      return readFileSync(resolvePath(value, baseDir));
    } catch (err) {
      issues.push({ path: at(p), message: `cannot read ${value}: ${errorMessage(err)}` });
      return Buffer.alloc(0);
    }
  };

  const warnings: string[] = [];
  const keys = new Map<string, string>();
  for (const [keyName, ref] of Object.entries(yaml.keys)) {
    const value = secret(ref.secretRef, ['keys', keyName]);
    const weak = value === '' ? undefined : checkSigningSecret(value);
    if (weak) issues.push({ path: at(['keys', keyName]), message: weak });
    keys.set(keyName, value);
  }
  const targets = new Map<string, ResolvedTarget>();
  for (const [targetName, target] of Object.entries(yaml.targets)) {
    const resolved = resolveTarget(target, ['targets', targetName], secret, readPem);
    if (resolved) targets.set(targetName, { name: targetName, ...resolved });
    if (target.esxcli && !target.esxcli.vm) {
      warnings.push(
        `targets.${targetName}.esxcli: worldId alone cannot be verified (its absence from esxcli vm process list reads unknown); add vm: { name: <display name> } or vm: { vmx }`,
      );
    }
  }
  const tls = yaml.tls && {
    cert: readPem(yaml.tls.cert, ['tls', 'cert']),
    key: readPem(yaml.tls.key, ['tls', 'key']),
    ...(yaml.tls.clientCa ? { clientCa: readPem(yaml.tls.clientCa, ['tls', 'clientCa']) } : {}),
  };
  let pull: RelayRuntimeConfig['pull'];
  if (yaml.pull) {
    const p = yaml.pull;
    const value = secret(p.key.secretRef, ['pull', 'key']);
    const weak = value === '' ? undefined : checkSigningSecret(value);
    if (weak) issues.push({ path: at(['pull', 'key']), message: weak });
    // The pull key verifies the actions Fencer hands out, exactly as a key of `keys` would.
    keys.set(p.keyName, value);
    pull = {
      url: p.url.replace(/\/+$/, ''),
      keyName: p.keyName,
      secret: value,
      ...(p.ca ? { ca: readPem(p.ca, ['pull', 'ca']) } : {}),
    };
  }
  if (issues.length > 0) throw new ConfigError(file, issues);
  return {
    file,
    ...(yaml.listen ? { listen: parseListen(yaml.listen) } : {}),
    ...(tls ? { tls } : {}),
    ...(pull ? { pull } : {}),
    keys,
    targets,
    idempotencyMs: yaml.idempotencySeconds * 1000,
    limits: yaml.limits,
    warnings,
  };
}

function resolveTarget(
  target: RelayTargetYaml,
  path: PropertyKey[],
  secret: (ref: string, p: PropertyKey[]) => string,
  readPem: (value: string, p: PropertyKey[]) => Buffer,
): DistributiveOmit<ResolvedTarget, 'name'> | undefined {
  if (target.ipmi) {
    const o = target.ipmi;
    const p = [...path, 'ipmi'];
    return {
      kind: 'ipmi',
      options: o,
      password: secret(o.password.secretRef, [...p, 'password']),
      ...(o.kg ? { kg: secret(o.kg.secretRef, [...p, 'kg']) } : {}),
    };
  }
  if (target.vsphere) {
    const o = target.vsphere;
    const p = [...path, 'vsphere'];
    return {
      kind: 'vsphere',
      options: o,
      password: secret(o.password.secretRef, [...p, 'password']),
      ...(o.ca ? { ca: readPem(o.ca, [...p, 'ca']) } : {}),
    };
  }
  if (target['vmware-cmd']) {
    const o = target['vmware-cmd'];
    const p = [...path, 'vmware-cmd', 'password'];
    return { kind: 'vmware-cmd', options: o, password: secret(o.password.secretRef, p) };
  }
  if (target.esxcli) {
    const o = target.esxcli;
    const p = [...path, 'esxcli', 'password'];
    return { kind: 'esxcli', options: o, password: secret(o.password.secretRef, p) };
  }
  return undefined;
}

/** Every secret of a target, for masking in anything that is printed. */
export function secretsOf(target: ResolvedTarget): string[] {
  return target.kind === 'ipmi' && target.kg ? [target.password, target.kg] : [target.password];
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
