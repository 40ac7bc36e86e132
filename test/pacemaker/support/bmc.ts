import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Daemon, startDaemon } from './daemons.ts';
import type { LabNames, LabNode } from './labNames.ts';
import { run, waitFor } from './shell.ts';

/** One node's BMC: OpenIPMI's ipmi_sim on a loopback UDP port; its power is the node's life. */
export interface Bmc {
  node: LabNode;
  host: '127.0.0.1';
  port: number;
  user: string;
  password: string;
  daemon: Daemon;
  /** Every power set the BMC carried out, oldest first. */
  powerLog(): PowerEvent[];
}

export interface PowerEvent {
  ts: number;
  set: 'on' | 'off';
  /** The power state before: an `off` on a node already off is a repeated command, not a cut. */
  was: 'on' | 'off';
  rc: number;
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

export function readPowerLog(file: string): PowerEvent[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{"ts"') && line.includes('"set"'))
    .map((line) => JSON.parse(line) as PowerEvent);
}

/** ipmitool against a BMC, as an operator would (the password through IPMI_PASSWORD). */
export async function ipmitool(bmc: Bmc, ...command: string[]) {
  return run(
    [
      'ipmitool',
      '-I',
      'lanplus',
      '-C',
      '3',
      '-H',
      bmc.host,
      '-p',
      String(bmc.port),
      '-U',
      bmc.user,
      '-E',
      ...command,
    ],
    { timeoutMs: 15_000, env: { IPMI_PASSWORD: bmc.password } },
  );
}

/**
 * Starts ipmi_sim for a node (lanplus needs `-C 3` on the client side; the users and their
 * passwords are in lan.conf, 0600). chassis_control is the lab's chassis-control.sh, so a
 * `chassis power off` SIGKILLs the node's init and `power on` boots it.
 */
export async function startBmc(
  names: LabNames,
  node: LabNode,
  envFile: string,
  chassisControl: string,
): Promise<Bmc> {
  const dir = join(names.dir, 'bmc', node);
  mkdirSync(join(dir, 'state'), { recursive: true });
  const port = await freeUdpPort();
  const user = 'admin';
  const password = `bmc-${randomBytes(9).toString('base64url')}`;
  writeFileSync(
    join(dir, 'lan.conf'),
    `name "${names.switchNs}-${node}"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 ${port}
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  chassis_control "${chassisControl} ${envFile}"
  user 2 true "${user}" "${password}" admin 10 none md2 md5 straight
`,
    { mode: 0o600 },
  );
  writeFileSync(
    join(dir, 'bmc.emu'),
    'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02\nmc_enable 0x20\n',
  );
  const daemon = startDaemon(
    [
      'ipmi_sim',
      '-n',
      '-c',
      join(dir, 'lan.conf'),
      '-f',
      join(dir, 'bmc.emu'),
      '-s',
      join(dir, 'state'),
    ],
    join(dir, 'ipmi_sim.log'),
  );
  const logFile = join(names.nodeDir(node), 'bmc-power.jsonl');
  const bmc: Bmc = {
    node,
    host: '127.0.0.1',
    port,
    user,
    password,
    daemon,
    powerLog: () => readPowerLog(logFile),
  };
  await waitFor(
    `ipmi_sim of ${node} to answer`,
    async () => ((await ipmitool(bmc, 'chassis', 'power', 'status')).code === 0 ? true : undefined),
    {
      timeoutMs: 20_000,
      detail: async () => readFileSync(join(dir, 'ipmi_sim.log'), 'utf8'),
    },
  );
  return bmc;
}
