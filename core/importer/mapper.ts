import type { ImportOptions, Note, ParsedCommand, PasswordSource, SecretFile } from './types.ts';

/** One mapped entry: a node's fence level, in file order. */
export interface MappedEntry {
  file: string;
  line: number;
  node: string;
  command: ParsedCommand;
}

export interface MappedConfig {
  fencer: Record<string, unknown>;
  relay: Record<string, unknown> | undefined;
  secrets: SecretFile[];
  missingPasswords: string[];
  notes: Note[];
  /** Relay target (or cloud VM) per entry, for the comments of the rendered YAML. */
  describe: Map<MappedEntry, string>;
}

/** The key name Fencer signs relay requests with (`X-Fencer-Key`); one per relay. */
export const RELAY_KEY_NAME = 'fencer';
const TARGET_SUFFIX: Record<string, string> = {
  ipmi: 'ipmi',
  'vmware-cmd': 'vmware',
  esxcli: 'esxcli',
};

export function nodeKeyPath(cluster: string, node: string): string {
  return `secrets/${cluster}-${node}.key`;
}
export function relayKeyPath(relay: string): string {
  return `secrets/relay-${relay}.key`;
}
export const ADMIN_KEY_PATH = 'secrets/admin-ops.key';

/**
 * Builds the fencer.yaml and relay.yaml fragments. Cloud commands become azure-vm / aws-ec2
 * devices; on-prem commands become relay devices, because BMC and ESXi credentials stay at the
 * site (DESIGN.md invariant 7): their passwords go to relay-side files, never into fencer.yaml.
 */
export function mapEntries(entries: readonly MappedEntry[], options: ImportOptions): MappedConfig {
  const nodes: Record<string, { key: { secretRef: string }; levels: unknown[][] }> = {};
  const targets: Record<string, unknown> = {};
  const secrets = new Secrets();
  const missingPasswords: string[] = [];
  const notes: Note[] = [];
  const describe = new Map<MappedEntry, string>();
  const seen = new Map<string, MappedEntry>();

  for (const entry of entries) {
    const { node, command } = entry;
    const identity = `${node}\u0000${JSON.stringify(command)}`;
    const earlier = seen.get(identity);
    if (earlier) {
      notes.push({
        file: entry.file,
        line: entry.line,
        message: `${node}: same command as ${earlier.file} line ${earlier.line}; imported once`,
      });
      continue;
    }
    seen.set(identity, entry);
    nodes[node] ??= {
      key: { secretRef: `file:${nodeKeyPath(options.cluster, node)}` },
      levels: [],
    };
    const levels = (nodes[node] as { levels: unknown[][] }).levels;

    if (command.kind === 'azure-vm') {
      const { kind: _kind, ...vm } = command;
      levels.push([{ 'azure-vm': vm }]);
      describe.set(entry, `Azure VM ${vm.resourceGroup}/${vm.vmName}`);
      continue;
    }
    if (command.kind === 'aws-ec2') {
      levels.push([{ 'aws-ec2': { region: command.region, instanceId: command.instanceId } }]);
      describe.set(entry, `EC2 ${command.instanceId} in ${command.region}`);
      continue;
    }
    const target = uniqueName(`${node}-${TARGET_SUFFIX[command.kind]}`, targets);
    const endpoint = command.kind === 'esxcli' ? command.server : command.host;
    const ref = (password: PasswordSource): string => {
      switch (password.from) {
        case 'literal':
          return secrets.add(`${endpoint}-${command.user}`, password.value);
        case 'file':
          notes.push({
            file: entry.file,
            line: entry.line,
            message: `${node}: copy the password file ${password.path} to the relay host`,
          });
          return password.path;
        default: {
          const path = `secrets/${target}.pw`;
          missingPasswords.push(path);
          const why =
            password.from === 'environment'
              ? `the line took the password from $${password.variable}`
              : 'the line gives no password';
          notes.push({
            file: entry.file,
            line: entry.line,
            message: `${node}: ${why}; put it in ${path} (0600) on the relay host`,
          });
          return path;
        }
      }
    };
    const password = { secretRef: `file:${ref(command.password)}` };
    if (command.kind === 'ipmi') {
      targets[target] = {
        ipmi: {
          host: command.host,
          port: command.port,
          interface: command.interface,
          ...(command.cipherSuite === undefined ? {} : { cipherSuite: command.cipherSuite }),
          privilege: command.privilege,
          user: command.user,
          password,
        },
      };
    } else if (command.kind === 'vmware-cmd') {
      const { host, user, vmx } = command;
      targets[target] = { 'vmware-cmd': { host, user, password, vmx } };
    } else {
      const { server, user, worldId, thumbprint } = command;
      targets[target] = {
        esxcli: {
          server,
          user,
          password,
          worldId,
          ...(thumbprint === undefined ? {} : { thumbprint }),
        },
      };
    }
    levels.push([{ relay: { relay: options.relay, target } }]);
    describe.set(entry, `relay ${options.relay} target ${target}`);
  }

  const onPrem = Object.keys(targets).length > 0;
  const fencer: Record<string, unknown> = { clusters: { [options.cluster]: { nodes } } };
  if (onPrem) {
    fencer.relays = {
      [options.relay]: {
        url: options.relayUrl ?? `https://${options.relay}.invalid:7443`,
        keyName: RELAY_KEY_NAME,
        key: { secretRef: `file:${relayKeyPath(options.relay)}` },
      },
    };
  }
  fencer.admins = { ops: { secretRef: `file:${ADMIN_KEY_PATH}` } };
  const relay = onPrem
    ? {
        listen: '0.0.0.0:7443',
        tls: { cert: '/etc/fencer-relay/tls.crt', key: '/etc/fencer-relay/tls.key' },
        keys: { [RELAY_KEY_NAME]: { secretRef: `file:${relayKeyPath(options.relay)}` } },
        targets,
      }
    : undefined;
  return { fencer, relay, secrets: secrets.files, missingPasswords, notes, describe };
}

function uniqueName(base: string, taken: Record<string, unknown>): string {
  let name = base.slice(0, 63);
  for (let n = 2; name in taken; n++) name = `${base.slice(0, 60)}-${n}`;
  return name;
}

/** One file per (host, user) credential; a different password for the same pair gets its own. */
class Secrets {
  readonly files: { relativePath: string; content: string }[] = [];
  add(credential: string, password: string): string {
    const base = `secrets/${credential.replace(/[^A-Za-z0-9._-]/g, '_')}`;
    for (let n = 1; ; n++) {
      const relativePath = n === 1 ? `${base}.pw` : `${base}-${n}.pw`;
      const existing = this.files.find((f) => f.relativePath === relativePath);
      if (existing === undefined) {
        this.files.push({ relativePath, content: `${password}\n` });
        return relativePath;
      }
      if (existing.content === `${password}\n`) return relativePath;
    }
  }
}
