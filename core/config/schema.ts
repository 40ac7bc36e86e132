import { z } from 'zod';

/** `env:NAME` or `file:/path` (relative paths are resolved against the config file's folder). */
export const secretRefString = z
  .string()
  .regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/, 'must be env:NAME or file:PATH');
export const secretRef = z.strictObject({ secretRef: secretRefString });
export type SecretRef = z.infer<typeof secretRef>;

/** Cluster, node, relay and admin names: also used in keys, table keys and URLs. */
export const name = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    'must be 1-63 chars of [A-Za-z0-9._-], starting alphanumeric',
  );

const httpsUrl = z.url({ protocol: /^https?$/ });

export const dummyOptions = z.strictObject({
  statusFile: z.string().min(1),
  offDelayMs: z.number().int().min(0).max(600_000).optional(),
  mode: z.enum(['normal', 'ignore', 'error', 'unknown']).optional(),
});

export const azureCredential = z.union([
  z.strictObject({ managedIdentityClientId: z.string().min(1) }),
  z.strictObject({
    tenantId: z.string().min(1),
    clientId: z.string().min(1),
    clientSecret: secretRef,
  }),
]);

export const azureVmOptions = z.strictObject({
  subscriptionId: z.string().min(1),
  resourceGroup: z.string().min(1),
  vmName: z.string().min(1),
  credential: azureCredential.optional(),
  endpoint: httpsUrl.optional(),
  authorityHost: httpsUrl.optional(),
  /** A PEM file of a CA trusted in addition to the system CAs, for `endpoint` and `authorityHost`. */
  ca: z.string().min(1).optional(),
});

export const awsCredential = z.union([
  z.strictObject({ accessKeyId: secretRef, secretAccessKey: secretRef }),
  z.strictObject({
    webIdentity: z.strictObject({
      roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN'),
      audience: z.string().min(1),
      managedIdentityClientId: z.string().min(1).optional(),
      sessionName: z.string().min(2).max(64).optional(),
      /** STS endpoint for AssumeRoleWithWebIdentity; default: the region's STS. */
      stsEndpoint: httpsUrl.optional(),
    }),
  }),
]);

export const awsEc2Options = z.strictObject({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as us-east-1'),
  instanceId: z.string().regex(/^i-[0-9a-f]{8,17}$/, 'must be an instance id such as i-0abc12345'),
  credential: awsCredential.optional(),
  endpoint: httpsUrl.optional(),
  /** A PEM file of a CA trusted in addition to the system CAs, for `endpoint` and `stsEndpoint`. */
  ca: z.string().min(1).optional(),
});

export const relayOptions = z.strictObject({ relay: name, target: name });

/**
 * One fence device: an object with exactly one driver kind as its key. Written as one object
 * with optional members (not a union) so that errors point into the right driver's options.
 */
export const driverEntry = z
  .strictObject({
    dummy: dummyOptions.optional(),
    'azure-vm': azureVmOptions.optional(),
    'aws-ec2': awsEc2Options.optional(),
    relay: relayOptions.optional(),
  })
  .superRefine((entry, ctx) => {
    const kinds = Object.keys(entry).filter((k) => entry[k as keyof typeof entry] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a device needs exactly one of dummy, azure-vm, aws-ec2, relay (got ${kinds.length === 0 ? 'none' : kinds.join(', ')})`,
      });
    }
  })
  .meta({ minProperties: 1, maxProperties: 1 });
export type DriverEntry = z.infer<typeof driverEntry>;

/** A level: every device in it must be verified off (AND); levels are alternatives (OR). */
export const level = z.array(driverEntry).min(1, 'a level needs at least one device');

export const nodeConfig = z.strictObject({
  priority: z.number().int().default(0),
  key: secretRef,
  levels: z.array(level).min(1, 'a node needs at least one fence level'),
});

/** Pacemaker's and corosync's supported maximum; it bounds the cluster entity's size. */
export const maxNodesPerCluster = 32;

export const clusterConfig = z.strictObject({
  quorum: z.number().int().min(1).default(1),
  maxConcurrentFences: z.number().int().min(1).default(1),
  minSurvivors: z.number().int().min(0).default(1),
  settleMs: z.number().int().min(0).max(60_000).default(0),
  fenceDeadlineSeconds: z.number().int().min(5).max(3600).default(240),
  levelTimeoutSeconds: z.number().int().min(1).max(3600).optional(),
  quorumWindowSeconds: z.number().int().min(1).max(86_400).default(60),
  allowSelfReport: z.boolean().default(false),
  /** Non-destructive checks of every fence path (DESIGN "Readiness"); 0 turns them off. */
  readinessIntervalSeconds: z
    .number()
    .int()
    .refine((s) => s === 0 || (s >= 30 && s <= 86_400), 'must be 0 (off) or 30-86400')
    .default(300),
  nodes: z.record(name, nodeConfig),
});

/**
 * A relay agent at a site. Push (the default): Fencer calls `url`, signing as `keyName`, a key
 * of the relay's `keys`. Pull: the relay dials out and polls Fencer (no url); `keyName` is the
 * relay's name here, its one secret signs its polls and results (key id `relay/NAME`) and the
 * actions Fencer hands it.
 */
export const relayConfig = z
  .strictObject({
    mode: z.enum(['push', 'pull']).optional(),
    url: httpsUrl.optional(),
    keyName: name,
    key: secretRef,
    ca: z.string().min(1).optional(),
  })
  .superRefine((relay, ctx) => {
    if (relay.mode === 'pull') {
      for (const field of ['url', 'ca'] as const) {
        if (relay[field] === undefined) continue;
        const message = `a pull-mode relay has no ${field}: it dials out to Fencer`;
        ctx.addIssue({ code: 'custom', path: [field], message });
      }
    } else if (relay.url === undefined) {
      const message = 'a push-mode relay needs url (or mode: pull for a relay that dials out)';
      ctx.addIssue({ code: 'custom', path: ['url'], message });
    }
  });

export const isPullRelay = (relay: { mode?: 'push' | 'pull' | undefined }): boolean =>
  relay.mode === 'pull';

/** A webhook for events (DESIGN "Notifications"). */
export const notificationConfig = z.strictObject({
  url: httpsUrl,
  format: z.enum(['cloudevents', 'slack']).default('cloudevents'),
  /** Signs each POST with the API's scheme, so a receiver can verify it. */
  key: secretRef.optional(),
  /** Which events; default all. */
  events: z
    .array(
      z.enum([
        'incident.fenced',
        'incident.failed',
        'incident.refused',
        'node.unfenced',
        'node.readiness',
      ]),
    )
    .min(1)
    .optional(),
  /** Which clusters; default all. */
  clusters: z.array(name).min(1).optional(),
});
export type NotificationConfig = z.infer<typeof notificationConfig>;

/** X-Fencer-Key scopes that are not clusters. */
export const keyNamespaces: readonly string[] = ['admin', 'viewer', 'relay'];

export const fencerConfig = z
  .strictObject({
    clusters: z.record(name, clusterConfig),
    relays: z.record(name, relayConfig).default({}),
    admins: z.record(name, secretRef).default({}),
    /** Read-only keys (`viewer/NAME`): every GET of every cluster, nothing else. */
    viewers: z.record(name, secretRef).default({}),
    notifications: z.record(name, notificationConfig).default({}),
  })
  .superRefine((config, ctx) => {
    for (const [relayName, relay] of Object.entries(config.relays)) {
      if (isPullRelay(relay) && relay.keyName !== relayName) {
        ctx.addIssue({
          code: 'custom',
          path: ['relays', relayName, 'keyName'],
          message: `a pull-mode relay's keyName is its name here ("${relayName}"): it polls as relay/${relayName} and verifies the actions signed as ${relayName}`,
        });
      }
    }
    for (const [clusterName, cluster] of Object.entries(config.clusters)) {
      const path = ['clusters', clusterName];
      if (keyNamespaces.includes(clusterName)) {
        // `admin/NAME`, `viewer/NAME`, `relay/NAME` are key namespaces of X-Fencer-Key.
        ctx.addIssue({
          code: 'custom',
          path,
          message: `the cluster name "${clusterName}" is reserved`,
        });
      }
      const nodeCount = Object.keys(cluster.nodes).length;
      if (nodeCount > maxNodesPerCluster) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'nodes'],
          message: `a cluster has at most ${maxNodesPerCluster} nodes (got ${nodeCount})`,
        });
      }
      if (nodeCount < 2) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'nodes'],
          message: 'a cluster needs at least 2 nodes',
        });
      }
      if (cluster.quorum > Math.max(1, nodeCount - 1)) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'quorum'],
          message: `quorum ${cluster.quorum} can never be reached: only ${nodeCount - 1} other nodes can report`,
        });
      }
      if (cluster.minSurvivors >= nodeCount) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'minSurvivors'],
          message: `minSurvivors ${cluster.minSurvivors} leaves no node fenceable in a ${nodeCount}-node cluster`,
        });
      }
      for (const [nodeName, node] of Object.entries(cluster.nodes)) {
        node.levels.forEach((devices, levelIndex) => {
          devices.forEach((device, deviceIndex) => {
            if (device.relay && !Object.hasOwn(config.relays, device.relay.relay)) {
              ctx.addIssue({
                code: 'custom',
                path: [
                  ...path,
                  'nodes',
                  nodeName,
                  'levels',
                  levelIndex,
                  deviceIndex,
                  'relay',
                  'relay',
                ],
                message: `relay "${device.relay.relay}" is not defined under relays`,
              });
            }
          });
        });
      }
    }
  });

export type FencerConfig = z.infer<typeof fencerConfig>;
export type ClusterConfig = FencerConfig['clusters'][string];
export type NodeConfig = ClusterConfig['nodes'][string];
export type RelayConfig = FencerConfig['relays'][string];
