/**
 * fence-agents style options: `key=value` lines on stdin (what Pacemaker's fencer sends) and the
 * same as `--long-options` / short flags in argv (for people). Values from argv win.
 */
export interface AgentParameter {
  name: string;
  getopt: string;
  type: 'string' | 'boolean' | 'integer' | 'second';
  default?: string;
  required?: boolean;
  /** Older names this one replaces (fence-agents keeps `port` for `plug`). */
  aliases?: string[];
  shortdesc: string;
}

/**
 * Pacemaker passes an agent none of its timeouts (pcmk_*_timeout and stonith-timeout are
 * filtered out of the agent's stdin) and kills it when they run out, so the agent's own defaults
 * sit under Pacemaker's: 20 s for a device's monitor and start, 60 s for off, reboot, list and
 * status. Pacemaker retries a failed run only if it failed before 70% of its timeout, and gives
 * the retry only the time left: so each default is either above 70% (monitor 15 of 20 s, off
 * 50 of 60 s: no retry) or at most half (list and status 15 of 60 s: the retry fits), and no
 * run is ever killed without its reason.
 */
export const timeoutDefaults = { power: 50, status: 15 } as const;

export const parameters: AgentParameter[] = [
  {
    name: 'action',
    getopt: '-o, --action=[action]',
    type: 'string',
    default: 'reboot',
    required: true,
    shortdesc: 'Fencing action',
  },
  {
    name: 'plug',
    getopt: '-n, --plug=[node]',
    type: 'string',
    aliases: ['port', 'nodename'],
    shortdesc: 'Node (as named in fencer.yaml) to fence',
  },
  {
    name: 'fencer_url',
    getopt: '--fencer-url=[url]',
    type: 'string',
    required: true,
    shortdesc: 'Fencer API base URL, e.g. https://fencer.example/api',
  },
  {
    name: 'key_id',
    getopt: '--key-id=[cluster/node]',
    type: 'string',
    required: true,
    shortdesc: "This node's key id, CLUSTER/NODE or CLUSTER (the node is this host's short name)",
  },
  {
    name: 'secret_file',
    getopt: '--secret-file=[file]',
    type: 'string',
    required: true,
    shortdesc: "File holding this node's signing secret",
  },
  {
    name: 'admin_key_id',
    getopt: '--admin-key-id=[admin/name]',
    type: 'string',
    shortdesc: 'Admin key id, needed for on and for the power-on of reboot',
  },
  {
    name: 'admin_secret_file',
    getopt: '--admin-secret-file=[file]',
    type: 'string',
    shortdesc: 'File holding the admin secret',
  },
  {
    name: 'power_timeout',
    getopt: '--power-timeout=[seconds]',
    type: 'second',
    default: String(timeoutDefaults.power),
    shortdesc:
      "Seconds off, reboot and on may take, from the agent's start, retries included; keep it about 10 s under Pacemaker's pcmk_off_timeout / stonith-timeout (60 s by default)",
  },
  {
    name: 'status_timeout',
    getopt: '--status-timeout=[seconds]',
    type: 'second',
    default: String(timeoutDefaults.status),
    shortdesc:
      "Seconds status, monitor, list and list-status may take, from the agent's start, retries included; keep it under the device's monitor timeout (20 s by default)",
  },
  {
    name: 'reason',
    getopt: '--reason=[text]',
    type: 'string',
    default: 'pacemaker fencing',
    shortdesc: 'Reason recorded with the report',
  },
  { name: 'verbose', getopt: '-v, --verbose', type: 'boolean', shortdesc: 'Verbose mode' },
];

export type AgentOptions = Record<string, string>;

const byName = new Map<string, AgentParameter>();
for (const p of parameters) {
  byName.set(p.name, p);
  for (const alias of p.aliases ?? []) byName.set(alias, p);
}
const shortFlags: Record<string, string> = { o: 'action', n: 'plug', v: 'verbose' };

/** Reads `key=value` lines; `#` comments and blank lines are ignored. Unknown keys are reported. */
export function parseStdin(text: string, unknown: (key: string) => void): AgentOptions {
  const out: AgentOptions = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    const value = eq < 0 ? '1' : line.slice(eq + 1).trim();
    const param = byName.get(key);
    if (param) {
      // nodename is a fallback only: Pacemaker sends it with port/plug, which name the target.
      if (key === 'nodename' && out[param.name] !== undefined) continue;
      out[param.name] = value;
    } else unknown(key);
  }
  return out;
}

/** `--long-option=value`, `--long-option value`, `-o value`. */
export function parseArgv(argv: string[], unknown: (key: string) => void): AgentOptions {
  const out: AgentOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    let key: string | undefined;
    let value: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      key = (eq < 0 ? arg.slice(2) : arg.slice(2, eq)).replace(/-/g, '_');
      if (eq >= 0) value = arg.slice(eq + 1);
    } else if (/^-[a-z]$/i.test(arg)) key = shortFlags[arg.slice(1)];
    const param = key ? byName.get(key) : undefined;
    if (!param) {
      unknown(arg);
      continue;
    }
    if (value === undefined) value = param.type === 'boolean' ? '1' : (argv[++i] ?? '');
    out[param.name] = value;
  }
  return out;
}

export function withDefaults(options: AgentOptions): AgentOptions {
  const out = { ...options };
  for (const p of parameters)
    if (out[p.name] === undefined && p.default !== undefined) out[p.name] = p.default;
  return out;
}
