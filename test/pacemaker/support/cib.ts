/**
 * The Pacemaker configuration the tests apply, as the exact commands (pacemaker-cli-utils only:
 * no pcs or crmsh needed), run as root on one node once the cluster has formed. The README's
 * Pacemaker section shows these.
 */
export const deviceId = 'fencer';
export const dummyId = 'dummy';

/** A failed start (Fencer unreachable) gives fail-count INFINITY; this lets it retry by itself. */
export const deviceFailureTimeout = '60s';
export const deviceMonitorInterval = '30s';

export function deviceXml(fencerUrl: string, secretFile: string): string {
  return [
    `<primitive id="${deviceId}" class="stonith" type="fence_fencer">`,
    `<instance_attributes id="${deviceId}-params">`,
    `<nvpair id="${deviceId}-fencer_url" name="fencer_url" value="${fencerUrl}"/>`,
    // CLUSTER alone: every node signs as CLUSTER/<its short hostname> with its own key.
    `<nvpair id="${deviceId}-key_id" name="key_id" value="pcmk"/>`,
    `<nvpair id="${deviceId}-secret_file" name="secret_file" value="${secretFile}"/>`,
    '</instance_attributes>',
    `<meta_attributes id="${deviceId}-meta">`,
    `<nvpair id="${deviceId}-failure-timeout" name="failure-timeout" value="${deviceFailureTimeout}"/>`,
    '</meta_attributes>',
    '<operations>',
    `<op id="${deviceId}-monitor" name="monitor" interval="${deviceMonitorInterval}" timeout="20s"/>`,
    '</operations>',
    '</primitive>',
  ].join('');
}

export const dummyXml = [
  `<primitive id="${dummyId}" class="ocf" provider="pacemaker" type="Dummy">`,
  '<operations>',
  `<op id="${dummyId}-monitor" name="monitor" interval="5s" timeout="20s"/>`,
  '</operations>',
  '</primitive>',
].join('');

/**
 * In order: fencing on; `off` as the cluster's fence action for the split-brain trials (their
 * assertion is one power cut and the loser left off until the operator's move; Pacemaker's
 * default, `reboot`, has a scenario of its own that sets it: reboot.test.ts); resources stay
 * where they run (no move back when a fenced node returns); the device; the resource.
 */
export function pacemakerSetupCommands(fencerUrl: string, secretFile: string): string[][] {
  return [
    ['crm_attribute', '--type', 'crm_config', '--name', 'stonith-enabled', '--update', 'true'],
    stonithActionCommand('off'),
    ['crm_attribute', '--type', 'rsc_defaults', '--name', 'resource-stickiness', '--update', '100'],
    [
      'cibadmin',
      '--create',
      '--scope',
      'resources',
      '--xml-text',
      deviceXml(fencerUrl, secretFile),
    ],
    ['cibadmin', '--create', '--scope', 'resources', '--xml-text', dummyXml],
  ];
}

/** The cluster's fence action (`stonith-action`), as an operator sets it. */
export const stonithActionCommand = (action: 'off' | 'reboot'): string[] => [
  'crm_attribute',
  '--type',
  'crm_config',
  '--name',
  'stonith-action',
  '--update',
  action,
];

/** A command as a shell line (single quotes around what needs them), for docs and messages. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w./:=@-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
