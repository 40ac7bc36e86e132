import { z } from 'zod';
import { name, secretRef } from '../core/config/schema.ts';

/**
 * `relay.yaml` (DESIGN.md, Relay agent protocol). `targets` is the allowlist: the relay acts on
 * these devices only, and nothing that arrives over the wire is ever run as a command.
 */

/** `HOST:PORT` or `[IPv6]:PORT`. Port 0 picks a free port (tests). */
const listen = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be HOST:PORT, e.g. 127.0.0.1:7443');

const path = z.string().min(1);
const callTimeoutMs = z.number().int().min(100).max(120_000);

export const relayTls = z.strictObject({
  cert: path,
  key: path,
  /** When set, POST /v1/actions needs a client certificate signed by this CA. */
  clientCa: path.optional(),
});

export const ipmiOptions = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(623),
  interface: z.enum(['lanplus', 'lan']).default('lanplus'),
  /** `-C`; many BMCs (and pyghmi) speak suite 3 only, and probing the others costs seconds. */
  cipherSuite: z.number().int().min(0).max(17).optional(),
  privilege: z
    .enum(['CALLBACK', 'USER', 'OPERATOR', 'ADMINISTRATOR', 'OEM'])
    .default('ADMINISTRATOR'),
  user: z.string().min(1),
  password: secretRef,
  /** BMC key (Kg), passed through IPMI_KGKEY with `-K`, never argv. */
  kg: secretRef.optional(),
  /** `env`: `-E` with IPMI_PASSWORD; `file`: `-f` with a 0600 file removed after the call. */
  passwordVia: z.enum(['env', 'file']).default('env'),
  callTimeoutMs: callTimeoutMs.default(10_000),
  command: path.default('ipmitool'),
});

/** Exactly one way to find the VM: inventory name, managed object id, or `.vmx` path. */
export const vmSelector = z
  .strictObject({
    name: z.string().min(1).optional(),
    moref: z
      .string()
      .regex(/^vm-\d+$/, 'must be a VirtualMachine id such as vm-42')
      .optional(),
    vmx: z
      .string()
      .regex(/\.vmx$/, 'must end in .vmx')
      .optional(),
  })
  .refine((vm) => [vm.name, vm.moref, vm.vmx].filter((v) => v !== undefined).length === 1, {
    message: 'vm needs exactly one of name, moref, vmx',
  });

export const vsphereOptions = z.strictObject({
  url: z.url({ protocol: /^https$/ }),
  user: z.string().min(1),
  password: secretRef,
  vm: vmSelector,
  /** PEM file of the CA (or the self-signed certificate) of vCenter / ESXi. */
  ca: path.optional(),
  callTimeoutMs: callTimeoutMs.default(15_000),
});

export const vmwareCmdOptions = z.strictObject({
  host: z.string().min(1),
  user: z.string().min(1),
  password: secretRef,
  vmx: z.string().regex(/\.vmx$/, 'must end in .vmx'),
  callTimeoutMs: callTimeoutMs.default(30_000),
  command: path.default('vmware-cmd'),
});

/**
 * How an esxcli target finds its VM in `esxcli vm process list` (running VMs only): by display
 * name or by .vmx path exactly as the list's `Config File` shows it.
 */
export const esxcliVm = z
  .strictObject({
    name: z.string().min(1).optional(),
    vmx: z
      .string()
      .regex(/\.vmx$/, 'must end in .vmx')
      .optional(),
  })
  .refine((vm) => (vm.name === undefined) !== (vm.vmx === undefined), {
    message: 'vm needs exactly one of name, vmx',
  });

/**
 * `vm` verifies: the VM's current world id is looked up for the kill, and it reads off only
 * when no running process has that name/vmx. `worldId` alone (LifeKeeper's stonith.conf) is
 * accepted but cannot be verified: world ids change at every power-on, so its absence from the
 * list reads unknown.
 */
export const esxcliOptions = z
  .strictObject({
    server: z.string().min(1),
    user: z.string().min(1),
    password: secretRef,
    vm: esxcliVm.optional(),
    worldId: z.number().int().positive().optional(),
    /** `--thumbprint` of the host's certificate, for hosts without a trusted certificate. */
    thumbprint: z
      .string()
      .regex(/^[0-9A-Fa-f:]+$/)
      .optional(),
    callTimeoutMs: callTimeoutMs.default(30_000),
    command: path.default('esxcli'),
  })
  .refine((o) => o.vm !== undefined || o.worldId !== undefined, {
    message: 'esxcli needs vm: { name } or vm: { vmx } (worldId alone cannot be verified)',
  });

export const targetKinds = ['ipmi', 'vsphere', 'vmware-cmd', 'esxcli'] as const;
export type TargetKind = (typeof targetKinds)[number];

/** One device, written as an object with exactly one kind as its key (like a fence device). */
export const relayTarget = z
  .strictObject({
    ipmi: ipmiOptions.optional(),
    vsphere: vsphereOptions.optional(),
    'vmware-cmd': vmwareCmdOptions.optional(),
    esxcli: esxcliOptions.optional(),
  })
  .superRefine((target, ctx) => {
    const kinds = targetKinds.filter((k) => target[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a target needs exactly one of ${targetKinds.join(', ')} (got ${kinds.length === 0 ? 'none' : kinds.join(', ')})`,
      });
    }
  });

/**
 * What the relay takes on at once. Connections past `maxConnections` are closed as they come
 * (it is also kept within the process's open-file limit); actions run one at a time per device
 * and at most `maxRunningActions` at once; past `maxQueuedActions` (running + waiting) a new
 * action is answered 503 `unavailable` (retryable). A connection that carried a signed action
 * (Fencer's) may stay open idle for `keepAliveSeconds`, longer than Fencer's readiness interval
 * (300 s by default), so its checks keep the connection a fence will use open; any other
 * connection is closed after 5 s idle.
 */
export const relayLimits = z.strictObject({
  maxConnections: z.number().int().min(4).max(65_536).default(128),
  maxRunningActions: z.number().int().min(1).max(256).default(8),
  maxQueuedActions: z.number().int().min(1).max(10_000).default(64),
  keepAliveSeconds: z.number().int().min(5).max(3600).default(600),
});
export type RelayLimits = z.infer<typeof relayLimits>;

/** A loopback address (127.0.0.0/8, ::1): the only place plain http is allowed. */
export function isLoopbackHost(hostname: string): boolean {
  return /^127(\.\d{1,3}){3}$/.test(hostname) || hostname === '[::1]' || hostname === '::1';
}

/**
 * Pull mode (DESIGN "Relay agent protocol" → Pull mode): the relay dials out to Fencer and
 * polls for its actions, so nothing listens at the site. `keyName` is the relay's name at
 * Fencer (`relays.<keyName>`); its one secret signs the polls and results (`relay/<keyName>`)
 * and verifies the actions Fencer hands out.
 */
export const relayPull = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).refine((url) => {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || isLoopbackHost(parsed.hostname);
  }, 'must be https (plain http only on a loopback address)'),
  keyName: name,
  key: secretRef,
  /** PEM file of a CA trusted in addition to the system CAs, for Fencer's certificate. */
  ca: path.optional(),
});

export const relayYaml = z
  .strictObject({
    /** Push mode: where the relay listens for Fencer's actions. */
    listen: listen.optional(),
    tls: relayTls.optional(),
    /** Push mode: the keys Fencer signs its actions with (`X-Fencer-Key`). */
    keys: z.record(name, secretRef).default({}),
    pull: relayPull.optional(),
    targets: z.record(name, relayTarget),
    /** How long a finished action's answer is kept for a repeated requestId. */
    idempotencySeconds: z.number().int().min(60).max(86_400).default(900),
    limits: relayLimits.prefault({}),
  })
  .superRefine((yaml, ctx) => {
    const issue = (path: PropertyKey[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    if (!yaml.listen && !yaml.pull)
      issue([], 'needs listen (push mode), pull (pull mode), or both');
    if (yaml.listen && !yaml.tls) issue(['tls'], 'listen needs tls: { cert, key }');
    if (yaml.tls && !yaml.listen) issue(['tls'], 'tls is for listen, which is not set');
    if (yaml.listen && !yaml.pull && Object.keys(yaml.keys).length === 0)
      issue(['keys'], 'at least one key is needed');
    if (yaml.pull && Object.hasOwn(yaml.keys, yaml.pull.keyName))
      issue(['keys', yaml.pull.keyName], `${yaml.pull.keyName} is the pull key's name already`);
  });

export type RelayYaml = z.infer<typeof relayYaml>;
export type RelayTargetYaml = z.infer<typeof relayTarget>;
export type IpmiOptions = z.infer<typeof ipmiOptions>;
export type VsphereOptions = z.infer<typeof vsphereOptions>;
export type VmwareCmdOptions = z.infer<typeof vmwareCmdOptions>;
export type EsxcliOptions = z.infer<typeof esxcliOptions>;

/** A target with its secrets resolved and its files read; what executors are built from. */
export type ResolvedTarget = { name: string } & (
  | { kind: 'ipmi'; options: IpmiOptions; password: string; kg?: string }
  | { kind: 'vsphere'; options: VsphereOptions; password: string; ca?: Buffer }
  | { kind: 'vmware-cmd'; options: VmwareCmdOptions; password: string }
  | { kind: 'esxcli'; options: EsxcliOptions; password: string }
);

/** The relay's configuration as the server uses it: validated, secrets resolved, files read. */
export interface RelayRuntimeConfig {
  file: string;
  /** Push mode (with `tls`); absent for a pull-only relay. */
  listen?: { host: string; port: number };
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer };
  /** Key name → signing secret of the actions it accepts (the pull key included). */
  keys: ReadonlyMap<string, string>;
  /** Pull mode: where it polls, as whom. */
  pull?: { url: string; keyName: string; secret: string; ca?: Buffer };
  targets: ReadonlyMap<string, ResolvedTarget>;
  idempotencyMs: number;
  limits: RelayLimits;
  /** What loads but an operator should fix (logged at start and on reload). */
  warnings: string[];
}

export function parseListen(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  const host = value.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(value.slice(at + 1)) };
}
