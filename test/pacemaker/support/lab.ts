import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AgentCall, readAgentCalls } from './agentLog.ts';
import { type Bmc, ipmitool, type PowerEvent, startBmc } from './bmc.ts';
import { FencerSide, fencerCluster } from './fencerSide.ts';
import type { LabNames, LabNode } from './labNames.ts';
import { labNodes } from './labNames.ts';
import { buildNetwork } from './network.ts';
import { writeNodeFiles } from './nodeFiles.ts';
import { type LabScripts, writeLabScripts } from './scripts.ts';
import { type RunResult, run, runOk } from './shell.ts';

const repo = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** Where fence_fencer reads the node's key inside every node (the device's secret_file). */
export const nodeSecretFile = '/run/fencer/node.key';

/**
 * The running lab: two cluster nodes (network + mount + UTS + PID namespaces), their BMCs, and
 * Fencer's side. Built once per test run; the global teardown removes it by name and PID.
 */
export class Lab {
  private constructor(
    readonly names: LabNames,
    readonly scripts: LabScripts,
    readonly envFiles: ReadonlyMap<LabNode, string>,
    readonly bmcs: ReadonlyMap<LabNode, Bmc>,
    readonly fencer: FencerSide,
  ) {}

  static async build(names: LabNames): Promise<Lab> {
    const scripts = writeLabScripts(names.dir, process.execPath, join(repo, 'bin/fence_fencer.js'));
    await buildNetwork(names);
    const fencer = await FencerSide.create(names);
    const envFiles = new Map<LabNode, string>();
    const bmcs = new Map<LabNode, Bmc>();
    for (const node of labNodes) {
      const envFile = await writeNodeFiles(
        names,
        node,
        fencerCluster,
        fencer.nodeKeys.get(node) ?? '',
      );
      envFiles.set(node, envFile);
      bmcs.set(node, await startBmc(names, node, envFile, scripts.chassisControl));
    }
    await fencer.start([...bmcs.values()]);
    return new Lab(names, scripts, envFiles, bmcs, fencer);
  }

  bmc(node: LabNode): Bmc {
    const bmc = this.bmcs.get(node);
    if (!bmc) throw new Error(`no BMC for ${node}`);
    return bmc;
  }

  /** Power on through the node's BMC, as an operator with ipmitool would. */
  async powerOnByBmc(node: LabNode): Promise<void> {
    const answer = await ipmitool(this.bmc(node), 'chassis', 'power', 'on');
    if (answer.code !== 0) throw new Error(`ipmitool power on ${node}: ${answer.stderr}`);
  }

  /** Every fence_fencer run the node's Pacemaker made, oldest first. */
  agentCalls(node: LabNode): AgentCall[] {
    return readAgentCalls(join(this.names.nodeDir(node), 'var/log/fence_fencer'));
  }

  powerLog(node: LabNode): PowerEvent[] {
    return this.bmc(node).powerLog();
  }

  /** Power cuts (an `off` of a running node) any BMC carried out at or after `sinceMs`. */
  powerOffsSince(sinceMs: number): { node: LabNode; ts: number }[] {
    return this.offCommandsSince(sinceMs)
      .filter((e) => e.was === 'on')
      .map(({ node, ts }) => ({ node, ts }));
  }

  /** Every `off` command the BMCs got at or after `sinceMs` (repeats of one included). */
  offCommandsSince(sinceMs: number): { node: LabNode; ts: number; was: string }[] {
    return labNodes
      .flatMap((node) => this.powerLog(node).map((e) => ({ node, ...e })))
      .filter((e) => e.set === 'off' && e.ts >= sinceMs)
      .map(({ node, ts, was }) => ({ node, ts, was }))
      .sort((a, b) => a.ts - b.ts);
  }

  /**
   * What an operator does once a fenced node may come back: unfence it at Fencer with power-on
   * (Fencer → relay → ipmitool → the node's BMC boots it).
   */
  async unfenceAndPowerOn(node: LabNode): Promise<unknown> {
    const answer = await this.fencer.admin.request(
      'POST',
      `/v1/clusters/${fencerCluster}/nodes/${node}/unfence`,
      { powerOn: true },
    );
    if (answer.status !== 200)
      throw new Error(`unfence ${node}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /**
   * The host PID of the node's init, or undefined when the node is off: the PID node-power.sh
   * recorded at boot, if that process is still in the node's network namespace and PID 1 of
   * its own PID namespace.
   */
  async initPid(node: LabNode): Promise<number | undefined> {
    try {
      const pid = Number(readFileSync(join(this.names.nodeDir(node), 'init.pid'), 'utf8'));
      const netns = statSync(`/run/netns/${this.names.nodeNs(node)}`).ino;
      if (statSync(`/proc/${pid}/ns/net`).ino !== netns) return undefined;
      const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      const levels = nspid?.trim().split(/\s+/) ?? [];
      return levels.length > 1 && levels.at(-1) === '1' ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  async isOn(node: LabNode): Promise<boolean> {
    return (await runOk([this.scripts.nodePower, 'status', this.envFile(node)])).trim() === 'on';
  }

  envFile(node: LabNode): string {
    const file = this.envFiles.get(node);
    if (!file) throw new Error(`no env file for ${node}`);
    return file;
  }

  /** Runs a command inside a node (all its namespaces), as root on that node would. */
  async inNode(node: LabNode, argv: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
    const pid = await this.initPid(node);
    if (pid === undefined) return { code: -2, stdout: '', stderr: `${node} is powered off` };
    return run(['nsenter', '-t', String(pid), '-m', '-u', '-n', '-p', '--', ...argv], {
      timeoutMs,
    });
  }

  async inNodeOk(node: LabNode, argv: readonly string[], timeoutMs = 30_000): Promise<string> {
    const result = await this.inNode(node, argv, timeoutMs);
    if (result.code !== 0)
      throw new Error(
        `${node}: ${argv.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`,
      );
    return result.stdout;
  }
}
