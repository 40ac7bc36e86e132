import { processStartedAt } from '../retry.ts';
import { runAgent } from './agent.ts';
import { type AgentOptions, parseArgv, parseStdin, withDefaults } from './options.ts';

/**
 * `fence_fencer`: options from argv, or (without argv) `key=value` lines on stdin like Pacemaker
 * sends. Resolves to the exit code (0, 1, or 2 for `status` off) once the output is written.
 */
export async function main(
  argv: string[],
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  const warn = (key: string) =>
    process.stderr.write(`Parse error: Ignoring unknown option '${key}'\n`);
  let options: AgentOptions = parseArgv(argv, warn);
  if (argv.length === 0) options = parseStdin(await readAll(stdin), warn);
  const result = await runAgent(withDefaults(options), processStartedAt());
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.exit;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
