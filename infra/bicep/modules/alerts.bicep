// Azure Monitor alerts on the logs the app already writes to Application Insights (queries in
// infra/alerts/, shared with Terraform): a fence that ended `failed`, and a fence message that
// reached the poison queue (its trigger, fencePoison, runs at once and ends the incident
// `failed`, so "the poison queue is not empty" shows as that function running). E-mailed to
// alertEmail through one action group; main.bicep deploys this module only with an address.
//
// scheduledQueryRules 2018-04-16: the newest API of the rule whose model an Azure SDK carries
// offline (@azure/arm-monitor 7.0.0), so test/infra can check this body; Terraform's
// azurerm_monitor_scheduled_query_rules_alert uses the same API.
param location string
param namePrefix string
param tags object
param insightsId string
param alertEmail string

resource actionGroup 'Microsoft.Insights/actionGroups@2021-09-01' = {
  name: '${namePrefix}-alerts'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'fencer'
    enabled: true
    emailReceivers: [
      { name: 'operator', emailAddress: alertEmail, useCommonAlertSchema: true }
    ]
  }
}

var rules = [
  {
    name: 'fence-failed'
    severity: '0'
    subject: 'Fencer: a fence failed (the node was not verified off; no failover)'
    description: 'A fence ended failed: every level was exhausted, or its message reached the poison queue.'
    query: loadTextContent('../../alerts/fence-failed.kql')
  }
  {
    name: 'fence-poison'
    severity: '1'
    subject: 'Fencer: a fence message reached the poison queue'
    description: 'The fence worker gave up on a message (maxDequeueCount); its incident was ended failed.'
    query: loadTextContent('../../alerts/fence-poison.kql')
  }
  {
    name: 'node-unfenceable'
    severity: '1'
    subject: 'Fencer: a node has no working fence path (unfenceable)'
    description: 'A readiness check found no fence level of a node fully working: if it fails now, nobody can fail over.'
    query: loadTextContent('../../alerts/node-unfenceable.kql')
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2018-04-16' = [
  for rule in rules: {
    name: '${namePrefix}-${rule.name}'
    location: location
    tags: tags
    properties: {
      description: rule.description
      enabled: 'true'
      source: { query: rule.query, dataSourceId: insightsId, queryType: 'ResultCount' }
      // Every 5 minutes over the last 10, so a line that arrives late is still seen (at worst
      // an alert comes twice, never not at all).
      schedule: { frequencyInMinutes: 5, timeWindowInMinutes: 10 }
      action: {
        'odata.type': 'Microsoft.WindowsAzure.Management.Monitoring.Alerts.Models.Microsoft.AppInsights.Nexus.DataContracts.Resources.ScheduledQueryRules.AlertingAction'
        severity: rule.severity
        aznsAction: { actionGroup: [actionGroup.id], emailSubject: rule.subject }
        trigger: { thresholdOperator: 'GreaterThan', threshold: 0 }
      }
    }
  }
]
