# Azure Monitor alerts on the logs the app already writes to Application Insights (queries in
# infra/alerts/, shared with Bicep): a fence that ended `failed`, and a fence message that
# reached the poison queue (its trigger, fencePoison, runs at once and ends the incident
# `failed`, so "the poison queue is not empty" shows as that function running). E-mailed to
# alert_email through one action group; without alert_email nothing of this is created.
#
# The rules use the scheduledQueryRules API 2018-04-16 (this resource), the same API as the
# Bicep deployment, whose model test/infra can check offline (@azure/arm-monitor 7.0.0).
locals {
  alerting = var.alert_email == "" ? 0 : 1
  alert_rules = {
    fence-failed = {
      severity    = 0
      subject     = "Fencer: a fence failed (the node was not verified off; no failover)"
      description = "A fence ended failed: every level was exhausted, or its message reached the poison queue."
      query       = file("${path.module}/../alerts/fence-failed.kql")
    }
    fence-poison = {
      severity    = 1
      subject     = "Fencer: a fence message reached the poison queue"
      description = "The fence worker gave up on a message (maxDequeueCount); its incident was ended failed."
      query       = file("${path.module}/../alerts/fence-poison.kql")
    }
    node-unfenceable = {
      severity    = 1
      subject     = "Fencer: a node has no working fence path (unfenceable)"
      description = "A readiness check found no fence level of a node fully working: if it fails now, nobody can fail over."
      query       = file("${path.module}/../alerts/node-unfenceable.kql")
    }
  }
}

resource "azurerm_monitor_action_group" "fencer" {
  count               = local.alerting
  name                = "${var.name_prefix}-alerts"
  resource_group_name = azurerm_resource_group.fencer.name
  short_name          = "fencer"
  tags                = var.tags

  email_receiver {
    name                    = "operator"
    email_address           = var.alert_email
    use_common_alert_schema = true
  }
}

resource "azurerm_monitor_scheduled_query_rules_alert" "fencer" {
  for_each            = local.alerting == 1 ? local.alert_rules : {}
  name                = "${var.name_prefix}-${each.key}"
  resource_group_name = azurerm_resource_group.fencer.name
  location            = var.location
  data_source_id      = azurerm_application_insights.fencer.id
  description         = each.value.description
  enabled             = true
  query               = each.value.query
  severity            = each.value.severity
  # Every 5 minutes over the last 10, so a line that arrives late is still seen (at worst an
  # alert comes twice, never not at all).
  frequency   = 5
  time_window = 10
  tags        = var.tags

  action {
    action_group  = [azurerm_monitor_action_group.fencer[0].id]
    email_subject = each.value.subject
  }

  trigger {
    operator  = "GreaterThan"
    threshold = 0
  }
}
