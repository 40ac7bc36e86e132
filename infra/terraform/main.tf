data "azurerm_client_config" "current" {}

locals {
  # Deterministic per subscription and resource group, like Bicep's uniqueString().
  suffix         = substr(sha1("${var.subscription_id}/${var.resource_group_name}"), 0, 13)
  flex           = var.hosting_plan == "FlexConsumption"
  function_name  = "${var.name_prefix}-func-${local.suffix}"
  package_name   = "fencer-functions.zip"
  tenant_id      = data.azurerm_client_config.current.tenant_id
  operator_grant = var.operator_principal_id == "" ? 0 : 1
}

resource "azurerm_resource_group" "fencer" {
  name     = var.resource_group_name
  location = var.location
  tags     = var.tags
}

# Two user-assigned identities, so that neither holds the other's rights: the app identity
# reaches storage, Key Vault and Application Insights; the fence identity may only power VMs
# off and on (and is what AWS trusts). User-assigned, not system-assigned, so every role
# assignment exists before the app starts and resolves its Key Vault references.
resource "azurerm_user_assigned_identity" "app" {
  name                = "${var.name_prefix}-app-id"
  resource_group_name = azurerm_resource_group.fencer.name
  location            = var.location
  tags                = var.tags
}

resource "azurerm_user_assigned_identity" "fence" {
  name                = "${var.name_prefix}-fence-id"
  resource_group_name = azurerm_resource_group.fencer.name
  location            = var.location
  tags                = var.tags
}

# Application Insights (workspace-based) for the Function's logs. Local (instrumentation key)
# authentication is off: the app identity sends telemetry with an Entra token
# (APPLICATIONINSIGHTS_AUTHENTICATION_STRING) and holds Monitoring Metrics Publisher only.
resource "azurerm_log_analytics_workspace" "fencer" {
  name                = "${var.name_prefix}-logs"
  resource_group_name = azurerm_resource_group.fencer.name
  location            = var.location
  sku                 = "PerGB2018"
  retention_in_days   = 30
  tags                = var.tags
}

resource "azurerm_application_insights" "fencer" {
  name                          = "${var.name_prefix}-insights"
  resource_group_name           = azurerm_resource_group.fencer.name
  location                      = var.location
  workspace_id                  = azurerm_log_analytics_workspace.fencer.id
  application_type              = "web"
  local_authentication_disabled = true
  tags                          = var.tags
}

resource "azurerm_role_assignment" "app_telemetry" {
  scope                = azurerm_application_insights.fencer.id
  role_definition_name = "Monitoring Metrics Publisher"
  principal_id         = azurerm_user_assigned_identity.app.principal_id
  principal_type       = "ServicePrincipal"
}
