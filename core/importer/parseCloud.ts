import { lastValue, type OptionSpec, scanOptions, scanProblem } from './options.ts';
import type { ParseOutcome } from './types.ts';

/** What the command line of `fencer import-stonith-conf` supplies when the line does not say. */
export interface CloudDefaults {
  subscription: string | undefined;
  region: string | undefined;
}

export const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Same rules as awsEc2Options in core/config/schema.ts, checked here to report the line. */
export const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

const AZ_SPECS: readonly OptionSpec[] = [
  { key: 'group', names: ['-g', '--resource-group'], arity: 'value' },
  { key: 'name', names: ['-n', '--name'], arity: 'value' },
  { key: 'ids', names: ['--ids'], arity: 'multi' },
  { key: 'subscription', names: ['--subscription'], arity: 'value' },
  { key: 'skipShutdown', names: ['--skip-shutdown'], arity: 'flag' },
  {
    key: 'ignored',
    names: ['--no-wait', '--only-show-errors', '--verbose', '--debug'],
    arity: 'flag',
  },
  { key: 'ignoredValue', names: ['-o', '--output', '--query'], arity: 'value' },
];

const AZ_POWER_OFF = new Set(['stop', 'deallocate', 'restart']);
const VM_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i;

/** `az vm stop -g rg-Group1 -n vm-HostA --skip-shutdown [--subscription ID]`. */
export function parseAz(args: readonly string[], defaults: CloudDefaults): ParseOutcome {
  const scanned = scanOptions(args, AZ_SPECS);
  const scanError = scanProblem('az', scanned);
  if (scanError) return { ok: false, reason: scanError };
  const notes: string[] = [];
  const [group, verb, ...extra] = scanned.positionals;
  if (group !== 'vm' || verb === undefined || !AZ_POWER_OFF.has(verb) || extra.length > 0) {
    return {
      ok: false,
      reason: `az ${scanned.positionals.join(' ')} does not power a VM off (expected \`az vm stop\`)`,
    };
  }
  if (verb !== 'stop') {
    notes.push(`az vm ${verb} becomes a power off (skipShutdown): the VM stays off until unfenced`);
  } else if (!scanned.flags.has('skipShutdown')) {
    notes.push(
      'az vm stop without --skip-shutdown: Fencer always powers off without shutting down',
    );
  }
  let subscription = lastValue(scanned, 'subscription');
  let resourceGroup = lastValue(scanned, 'group');
  let vmName = lastValue(scanned, 'name');
  const ids = scanned.values.get('ids') ?? [];
  if (ids.length > 1) return { ok: false, reason: 'az: --ids names several VMs; a node is one VM' };
  if (ids.length === 1) {
    const match = VM_ID.exec(ids[0] as string);
    if (!match) return { ok: false, reason: 'az: --ids is not a virtual machine resource id' };
    [, subscription, resourceGroup, vmName] = match;
  }
  if (resourceGroup === undefined) return { ok: false, reason: 'az: no -g/--resource-group' };
  if (vmName === undefined) return { ok: false, reason: 'az: no -n/--name' };
  if (subscription !== undefined && defaults.subscription !== undefined) {
    if (subscription !== defaults.subscription) {
      notes.push(`az: the line's subscription ${subscription} is used, not --subscription`);
    }
  }
  subscription ??= defaults.subscription;
  if (subscription === undefined) {
    return {
      ok: false,
      reason:
        'az: the line has no --subscription (az used its default account): pass --subscription ID',
    };
  }
  if (!SUBSCRIPTION_ID.test(subscription)) {
    return {
      ok: false,
      reason: `az: subscription "${subscription}" is not a subscription id (GUID)`,
    };
  }
  return {
    ok: true,
    command: { kind: 'azure-vm', subscriptionId: subscription, resourceGroup, vmName },
    notes,
  };
}

const AWS_SPECS: readonly OptionSpec[] = [
  { key: 'instanceIds', names: ['--instance-ids'], arity: 'multi' },
  { key: 'region', names: ['--region'], arity: 'value' },
  { key: 'force', names: ['--force'], arity: 'flag' },
  { key: 'noForce', names: ['--no-force'], arity: 'flag' },
  { key: 'hibernate', names: ['--hibernate'], arity: 'flag' },
  { key: 'dryRun', names: ['--dry-run'], arity: 'flag' },
  { key: 'profile', names: ['--profile'], arity: 'value' },
  { key: 'endpoint', names: ['--endpoint-url'], arity: 'value' },
  {
    key: 'ignored',
    names: ['--no-hibernate', '--no-dry-run', '--no-cli-pager', '--no-paginate', '--debug'],
    arity: 'flag',
  },
  { key: 'ignoredValue', names: ['--output', '--query', '--cli-read-timeout'], arity: 'value' },
];

/** `aws ec2 stop-instances --instance-ids i-0abc... [--region r] [--force]`. */
export function parseAws(
  args: readonly string[],
  env: ReadonlyMap<string, string>,
  defaults: CloudDefaults,
): ParseOutcome {
  const scanned = scanOptions(args, AWS_SPECS);
  const scanError = scanProblem('aws', scanned);
  if (scanError) return { ok: false, reason: scanError };
  const notes: string[] = [];
  const action = scanned.positionals.join(' ');
  if (action !== 'ec2 stop-instances') {
    return {
      ok: false,
      reason: `aws ${action} does not stop an instance (expected \`aws ec2 stop-instances\`)`,
    };
  }
  if (scanned.flags.has('dryRun')) {
    return {
      ok: false,
      reason: 'aws: --dry-run never stopped anything; remove it to import the line',
    };
  }
  if (!scanned.flags.has('force') || scanned.flags.has('noForce')) {
    notes.push(
      'aws ec2 stop-instances without --force: Fencer always forces, skipping OS shutdown',
    );
  }
  if (scanned.flags.has('hibernate'))
    notes.push('aws --hibernate is dropped: a fence is a hard stop');
  const profile = lastValue(scanned, 'profile');
  if (profile !== undefined) {
    notes.push(`aws --profile ${profile} is not carried over: Fencer uses its own AWS credentials`);
  }
  if (scanned.values.has('endpoint')) notes.push('aws --endpoint-url is not carried over');
  const ids = scanned.values.get('instanceIds') ?? [];
  if (ids.length !== 1) {
    return {
      ok: false,
      reason: `aws: --instance-ids must name exactly one instance (got ${ids.length}); a node is one instance`,
    };
  }
  const instanceId = ids[0] as string;
  if (!INSTANCE_ID.test(instanceId)) {
    return {
      ok: false,
      reason: `aws: "${instanceId}" is not an instance id (i-0123456789abcdef0)`,
    };
  }
  const region =
    lastValue(scanned, 'region') ??
    env.get('AWS_REGION') ??
    env.get('AWS_DEFAULT_REGION') ??
    defaults.region;
  if (region === undefined) {
    return {
      ok: false,
      reason: "aws: the line has no --region (aws used its profile's): pass --region R",
    };
  }
  if (!AWS_REGION.test(region))
    return { ok: false, reason: `aws: "${region}" is not an AWS region` };
  return { ok: true, command: { kind: 'aws-ec2', region, instanceId }, notes };
}
