import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { name as nameSchema } from '../core/config/schema.ts';
import { errorMessage } from '../core/errors.ts';
import { type ImportOutput, importStonithConf } from '../core/importer/importStonithConf.ts';
import { AWS_REGION, SUBSCRIPTION_ID } from '../core/importer/parseCloud.ts';
import {
  operatorTodo,
  type RenderContext,
  renderFencerYaml,
  renderRelayYaml,
} from '../core/importer/render.ts';
import type { ImportOptions, Problem } from '../core/importer/types.ts';
import {
  existingFiles,
  type OutputFile,
  randomSigningKey,
  writeOutput,
} from '../core/importer/writeOutput.ts';
import { UsageError } from './usageError.ts';

/** Where the command writes; tests pass their own, `fencer` uses the process's. */
export interface ImportIo {
  out(text: string): void;
  err(text: string): void;
  setExitCode(code: number): void;
  /** The signing key generator (`--out` writes one per node, relay and admin). */
  randomKey(): string;
}

const processIo: ImportIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  randomKey: randomSigningKey,
};

interface Flags {
  out?: string;
  force?: boolean;
  cluster: string;
  subscription?: string;
  region?: string;
  relay: string;
  relayUrl?: string;
  allowPartial?: boolean;
}

export function registerImportCommand(program: Command, io: ImportIo = processIo): Command {
  return (
    program
      .command('import-stonith-conf')
      .description(
        'convert LifeKeeper stonith.conf file(s) into fencer.yaml (+ relay.yaml for on-prem targets); passwords never go into the YAML',
      )
      .argument('<file...>', 'stonith.conf of each server (one shared file is enough)')
      .option(
        '--out <dir>',
        'write DIR/fencer.yaml, DIR/relay.yaml and DIR/secrets/ (0600), generating signing keys',
      )
      .option('--force', 'overwrite existing files in --out (existing signing keys are kept)')
      .option('--cluster <name>', 'cluster name', 'lifekeeper')
      .option(
        '--subscription <id>',
        'Azure subscription id for `az vm` lines without --subscription',
      )
      .option('--region <region>', 'AWS region for `aws ec2` lines without --region')
      .option('--relay <name>', 'relay agent that runs ipmitool/vmware-cmd/esxcli on site', 'site1')
      .option('--relay-url <url>', "the relay agent's https address")
      .option('--allow-partial', 'import what can be mapped, exit 0 even if some lines cannot')
      .addHelpText(
        'after',
        '\nExit codes: 0 imported; 1 some line could not be mapped (or nothing to import); 2 usage error.',
      )
      // Usage errors are thrown (UsageError, commander's own): cli/main.ts maps them to exit 2.
      .action((files: string[], flags: Flags) => {
        io.setExitCode(run(files, flags, io));
      })
  );
}

function checkFlags(flags: Flags): ImportOptions {
  for (const [flag, value] of [
    ['--cluster', flags.cluster],
    ['--relay', flags.relay],
  ] as const) {
    if (!nameSchema.safeParse(value).success) {
      throw new UsageError(
        `${flag} ${value}: must be 1-63 chars of [A-Za-z0-9._-], starting alphanumeric`,
      );
    }
  }
  if (flags.cluster === 'admin')
    throw new UsageError('--cluster admin: the name "admin" is reserved');
  if (flags.subscription !== undefined && !SUBSCRIPTION_ID.test(flags.subscription)) {
    throw new UsageError(`--subscription ${flags.subscription}: must be a subscription id (GUID)`);
  }
  if (flags.region !== undefined && !AWS_REGION.test(flags.region)) {
    throw new UsageError(`--region ${flags.region}: must be an AWS region such as eu-west-1`);
  }
  if (flags.relayUrl !== undefined && !/^https:\/\/[^\s/]+/.test(flags.relayUrl)) {
    throw new UsageError(`--relay-url ${flags.relayUrl}: must be an https:// URL`);
  }
  return {
    cluster: flags.cluster,
    relay: flags.relay,
    relayUrl: flags.relayUrl,
    subscription: flags.subscription,
    region: flags.region,
  };
}

function run(files: string[], flags: Flags, io: ImportIo): number {
  const options = checkFlags(flags);
  const sources = files.map((file) => {
    try {
      return { file, text: readFileSync(file, 'utf8') };
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${errorMessage(err)}`);
    }
  });
  const result = importStonithConf(sources, options);
  const where = (p: Problem) => {
    const prefix = files.length > 1 || p.line === 0 ? `${p.file}: ` : '';
    return p.line === 0 ? prefix : `${prefix}line ${p.line}: `;
  };
  for (const p of result.problems) io.err(`${where(p)}${p.reason}\n`);
  if (result.mapped.length === 0) {
    io.err('nothing to import: no line could be mapped\n');
    return 1;
  }
  if (result.problems.length > 0 && !flags.allowPartial) {
    io.err(
      `${result.problems.length} problem(s); nothing written. Fix the lines, or pass --allow-partial to import the rest\n`,
    );
    return 1;
  }
  const ctx: RenderContext = { options, sources: files, written: flags.out !== undefined };
  const fencerYaml = renderFencerYaml(result, ctx);
  const relayYaml = renderRelayYaml(result, ctx);
  const report = (text: string) => (flags.out === undefined ? io.err(text) : io.out(text));
  if (flags.out === undefined) {
    io.out(`# ===== fencer.yaml =====\n${fencerYaml}`);
    if (relayYaml) io.out(`---\n# ===== relay.yaml =====\n${relayYaml}`);
  } else {
    const outputs = outputFiles(result, fencerYaml, relayYaml, io);
    const existing = existingFiles(flags.out, outputs, flags.force === true);
    if (existing.length > 0) {
      throw new UsageError(`refusing to overwrite ${existing.join(', ')} (pass --force)`);
    }
    const written = writeOutput(flags.out, outputs, flags.force === true);
    for (const path of written.written) report(`wrote ${path}\n`);
    for (const path of written.kept) report(`kept existing key ${path}\n`);
  }
  for (const n of result.notes)
    report(`note: ${files.length > 1 ? `${n.file}: ` : ''}line ${n.line}: ${n.message}\n`);
  report(
    `to do:\n${operatorTodo(result, ctx)
      .map((t) => `  - ${t}\n`)
      .join('')}`,
  );
  return 0;
}

function outputFiles(
  result: ImportOutput,
  fencerYaml: string,
  relayYaml: string | undefined,
  io: ImportIo,
): OutputFile[] {
  const files: OutputFile[] = [{ relativePath: 'fencer.yaml', content: fencerYaml, mode: 0o644 }];
  if (relayYaml) files.push({ relativePath: 'relay.yaml', content: relayYaml, mode: 0o644 });
  for (const s of result.secrets)
    files.push({ relativePath: s.relativePath, content: s.content, mode: 0o600 });
  for (const k of result.keys) {
    files.push({
      relativePath: k.relativePath,
      content: `${io.randomKey()}\n`,
      mode: 0o600,
      keepIfExists: true,
    });
  }
  return files;
}
