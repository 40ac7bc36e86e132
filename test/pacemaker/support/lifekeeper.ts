import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Daemon, startDaemon } from './daemons.ts';
import { type Lab, nodeSecretFile } from './lab.ts';
import { type LabNode, labNet, labNodes } from './labNames.ts';
import { run, runOk } from './shell.ts';

/**
 * LifeKeeper's side in the lab: its prefailover action (contrib/lifekeeper, installed with its
 * own install.sh inside each node) and its comm path, TCP 7365. LifeKeeper itself is not free
 * software and is not here: a socat listener on 7365 in each node stands for its comm path, so
 * the cut the seed document prescribes can be seen to cut something.
 */
const repo = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const commPort = 7365;

/** The seed document's cut, exactly; `-D` instead of `-A` removes it. */
const commCutRule = (op: '-A' | '-D') => [
  'iptables',
  op,
  'INPUT',
  '-p',
  'tcp',
  '--destination-port',
  String(commPort),
  '-j',
  'DROP',
];

/** The `fencer` command as installed on a node: the worktree's CLI under this Node. */
function fencerCommand(lab: Lab): string {
  const file = join(lab.names.dir, 'bin', 'fencer');
  if (!existsSync(file)) {
    writeFileSync(
      file,
      `#!/bin/sh\nexec ${process.execPath} ${join(repo, 'bin/fencer.js')} "$@"\n`,
    );
    chmodSync(file, 0o755);
  }
  return file;
}

/** LKROOT of a node's hook install (one per wait, as an admin would reinstall it). */
const lkRoot = (lab: Lab, node: LabNode, waitSeconds: number) =>
  join(lab.names.nodeDir(node), `lifekeeper-${waitSeconds}`);

/**
 * Runs contrib/lifekeeper/install.sh inside the node (it checks the node's key file there), the
 * way the README tells an admin to: the node's key id, its key file, Fencer's URL as the node
 * reaches it, and the `fencer` command.
 */
export async function installHook(lab: Lab, node: LabNode, waitSeconds: number): Promise<void> {
  const root = lkRoot(lab, node, waitSeconds);
  mkdirSync(root, { recursive: true });
  await lab.inNodeOk(node, [
    'sh',
    join(repo, 'contrib/lifekeeper/install.sh'),
    '--prefix',
    root,
    '--url',
    lab.fencer.urlForNodes,
    '--key-id',
    `pcmk/${node}`,
    '--secret-file',
    nodeSecretFile,
    '--fencer-bin',
    fencerCommand(lab),
    '--wait',
    String(waitSeconds),
  ]);
}

export interface HookRun {
  node: LabNode;
  /** -2: the node was off; otherwise the exit code (a run killed with its node ends non-zero). */
  code: number;
  stdout: string;
  stderr: string;
  startMs: number;
  endMs: number;
}

/** The prefailover action as LifeKeeper's sendevent runs it: `-n` names the failed system. */
export async function runHook(
  lab: Lab,
  node: LabNode,
  failed: LabNode,
  waitSeconds: number,
): Promise<HookRun> {
  const root = lkRoot(lab, node, waitSeconds);
  const startMs = Date.now();
  const result = await lab.inNode(
    node,
    [
      'env',
      `LKROOT=${root}`,
      join(root, 'events/prefailover/actions/fencer'),
      ...['-C', 'comm', '-E', 'prefailover', '-m', 'lkcomm', '-n', failed],
    ],
    (waitSeconds + 30) * 1000,
  );
  return { node, ...result, startMs, endMs: Date.now() };
}

/** A listener on the comm port inside the node that answers with its hostname (dies with it). */
export async function startCommListener(lab: Lab, node: LabNode): Promise<Daemon> {
  const pid = await lab.initPid(node);
  if (pid === undefined) throw new Error(`${node} is off`);
  return startDaemon(
    [
      'nsenter',
      ...['-t', String(pid), '-m', '-u', '-n', '-p', '--'],
      'socat',
      `TCP-LISTEN:${commPort},fork,reuseaddr`,
      'EXEC:hostname',
    ],
    join(lab.names.nodeDir(node), 'comm-listener.log'),
  );
}

/** What `node` gets when it connects to the peer's comm port: the peer's name, or '' if cut. */
export async function probeComm(lab: Lab, node: LabNode, peer: LabNode): Promise<string> {
  const result = await lab.inNode(
    node,
    ['socat', '-T', '2', '-', `TCP:${labNet.address(peer)}:${commPort},connect-timeout=2`],
    10_000,
  );
  return result.code === 0 ? result.stdout.trim() : '';
}

/** The seed document's comm-path cut, in every node's network namespace. */
export async function cutCommPath(lab: Lab): Promise<void> {
  for (const node of labNodes)
    await runOk(['ip', 'netns', 'exec', lab.names.nodeNs(node), ...commCutRule('-A')]);
}

/** Removes the cut wherever it is (each rule as often as it was added). */
export async function healCommPath(lab: Lab): Promise<void> {
  for (const node of labNodes)
    while (
      (await run(['ip', 'netns', 'exec', lab.names.nodeNs(node), ...commCutRule('-D')])).code === 0
    );
}
