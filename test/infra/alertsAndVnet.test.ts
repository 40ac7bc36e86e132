import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvocationContext } from '@azure/functions';
import { beforeAll, describe, expect, it } from 'vitest';
import { logLineOf } from '../../core/notifications/logSink.ts';
import { invocationLog } from '../../functions/deps.ts';
import { repoRoot } from '../support/processes.ts';
import { readBicep, section } from './support/bicep.ts';
import { block, type Json, list, loadTerraform, single } from './support/hcl.ts';

/** Alert rules on the app's logs, and optional VNet integration, in both deployments. */
const ref = (expr: string) => `$\{${expr}}`;
const alertsDir = join(repoRoot, 'infra/alerts');
const query = (name: string) => readFileSync(join(alertsDir, `${name}.kql`), 'utf8');
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

let doc: Record<string, Json>;
beforeAll(async () => {
  ({ doc } = await loadTerraform());
});

describe('alerts', () => {
  it('use the same queries in both deployments, from infra/alerts', () => {
    const rules = list(doc.locals).find((l) => l.alert_rules)?.alert_rules as Record<
      string,
      { query: string }
    >;
    const alerts = readBicep('modules/alerts.bicep');
    expect(Object.keys(rules).sort()).toEqual(['fence-failed', 'fence-poison', 'node-unfenceable']);
    for (const name of Object.keys(rules)) {
      expect(existsSync(join(alertsDir, `${name}.kql`)), name).toBe(true);
      expect(rules[name]?.query).toBe(ref(`file("${ref('path.module')}/../alerts/${name}.kql")`));
      expect(alerts).toContain(`query: loadTextContent('../../alerts/${name}.kql')`);
    }
    // One rule per query, on Application Insights, firing on any row.
    const rule = block(doc, 'resource', 'azurerm_monitor_scheduled_query_rules_alert', 'fencer');
    expect(rule).toMatchObject({
      data_source_id: ref('azurerm_application_insights.fencer.id'),
      query: ref('each.value.query'),
    });
    expect(single(rule.trigger)).toEqual({ operator: 'GreaterThan', threshold: 0 });
    expect(alerts).toMatch(/dataSourceId: insightsId/);
    expect(alerts).toMatch(/trigger: \{ thresholdOperator: 'GreaterThan', threshold: 0 \}/);
  });

  it('the unfenceable alert looks for the readiness event line the app writes', () => {
    const line = logLineOf({
      id: 'x',
      type: 'node.readiness',
      cluster: 'c',
      time: '2026-11-29T00:00:00Z',
      data: {
        cluster: 'c',
        node: 'n',
        state: 'member',
        readiness: 'unfenceable',
        previousReadiness: 'ready',
        detail: '',
      },
    });
    expect(line).toMatchObject({ event: 'node.readiness', readiness: 'unfenceable' });
    expect(query('node-unfenceable')).toMatch(
      /tostring\(line\.event\) == "node\.readiness" and tostring\(line\.readiness\) == "unfenceable"/,
    );
  });

  it('look for the log lines the app writes', () => {
    const worker = read('core/worker/fenceWorker.ts');
    // The worker's verdict, with the incident's final state as `outcome`…
    expect(worker).toMatch(/outcome: closed\.outcome\?\.state,[\s\S]{0,80}\},\s*'fence ended',/);
    expect(query('fence-failed')).toMatch(
      /tostring\(line\.msg\) in \("fence ended", "poison fence message: incident ended"\)/,
    );
    expect(query('fence-failed')).toMatch(
      /tostring\(line\.outcome\) == "failed" or tostring\(line\.state\) == "failed"/,
    );
    // …and the poison trigger's, with `state`.
    expect(worker).toMatch(/state: outcome\?\.state \}, 'poison fence message: incident ended'\)/);
    expect(query('fence-poison')).toMatch(
      /tostring\(parse_json\(message\)\.msg\) == "poison fence message: incident ended"/,
    );
    // The poison queue's trigger is the function the second query names.
    expect(read('functions/fenceWorker.ts')).toMatch(
      /app\.storageQueue\('fencePoison', \{\s+queueName: 'fencer-fence-poison'/,
    );
    expect(query('fence-poison')).toMatch(/requests\s+\| where name == "fencePoison"/);
  });

  it('match the message the Functions log writes: JSON with msg first', () => {
    // Prepare: what the host stores as a trace's message
    const lines: string[] = [];
    const context = new InvocationContext({
      functionName: 'fenceWorker',
      logHandler: (_level, ...args) => lines.push(String(args[0])),
    });
    // Act
    invocationLog(context).info(
      { cluster: 'c', incidentId: 'i', outcome: 'failed' },
      'fence ended',
    );
    // Assess: `message startswith "{"` and parse_json(message).msg / .outcome
    expect(lines).toHaveLength(1);
    expect(lines[0]?.startsWith('{')).toBe(true);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ msg: 'fence ended', outcome: 'failed' });
  });

  it('mail one address through one action group, and exist only with one', () => {
    expect(list(doc.locals).find((l) => l.alerting)?.alerting).toBe(
      ref('var.alert_email == "" ? 0 : 1'),
    );
    const group = block(doc, 'resource', 'azurerm_monitor_action_group', 'fencer');
    expect(group.count).toBe(ref('local.alerting'));
    expect(single(group.email_receiver)).toMatchObject({ email_address: ref('var.alert_email') });
    expect(
      block(doc, 'resource', 'azurerm_monitor_scheduled_query_rules_alert', 'fencer').for_each,
    ).toBe(ref('local.alerting == 1 ? local.alert_rules : {}'));
    const main = readBicep('main.bicep');
    expect(main).toMatch(
      /^module alerts 'modules\/alerts\.bicep' = if \(!empty\(alertEmail\)\) \{/m,
    );
    expect(main).toMatch(/^param alertEmail string = ''$/m);
    expect(section(readBicep('modules/alerts.bicep'), 'emailReceivers:')).toMatch(
      /emailAddress: alertEmail/,
    );
  });
});

describe('VNet integration', () => {
  it('puts the app in the given subnet, or in none', () => {
    expect(list(doc.locals).find((l) => l.subnet_id)?.subnet_id).toBe(
      ref('var.virtual_network_subnet_id == "" ? null : var.virtual_network_subnet_id'),
    );
    for (const type of ['azurerm_function_app_flex_consumption', 'azurerm_linux_function_app']) {
      expect(block(doc, 'resource', type, 'fencer').virtual_network_subnet_id, type).toBe(
        ref('local.subnet_id'),
      );
    }
    expect(readBicep('main.bicep')).toMatch(/^param virtualNetworkSubnetId string = ''$/m);
    expect(section(readBicep('main.bicep'), /^module app /m)).toMatch(
      /virtualNetworkSubnetId: virtualNetworkSubnetId/,
    );
    expect(section(readBicep('modules/functionApp.bicep'), /^resource site /m)).toMatch(
      /virtualNetworkSubnetId: empty\(virtualNetworkSubnetId\) \? null : virtualNetworkSubnetId/,
    );
  });

  it('is explained in docs/deploy.md: when, which delegation, and why not an inbound rule', () => {
    const doc = read('docs/deploy.md');
    const vnet =
      /## Private reach to on-prem relays \(VNet integration\)([\s\S]*?)\n## /.exec(doc)?.[1] ?? '';
    expect(vnet).toMatch(/no fixed outbound\s+IP addresses/);
    expect(vnet).toMatch(/all of Azure/);
    expect(vnet).toMatch(/VPN or ExpressRoute/);
    expect(vnet).toMatch(/Microsoft\.App\/environments/);
    expect(vnet).toMatch(/Microsoft\.Web\/serverFarms/);
  });
});
