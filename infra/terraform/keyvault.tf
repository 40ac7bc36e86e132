# Key Vault in RBAC mode for the node, admin and relay keys. The identity that resolves the
# Key Vault references in the app settings may read secrets; the operator may set them. The
# secret values are never Terraform inputs, so they stay out of the state.
resource "azurerm_key_vault" "fencer" {
  name                          = "${var.name_prefix}-kv-${substr(local.suffix, 0, 8)}"
  resource_group_name           = azurerm_resource_group.fencer.name
  location                      = var.location
  tenant_id                     = local.tenant_id
  sku_name                      = "standard"
  rbac_authorization_enabled    = true
  soft_delete_retention_days    = 90
  purge_protection_enabled      = true
  public_network_access_enabled = true
  tags                          = var.tags
}

# ElasticPremium: the references resolve with the app identity (key_vault_reference_identity_id).
resource "azurerm_role_assignment" "app_secrets" {
  count                = local.flex ? 0 : 1
  scope                = azurerm_key_vault.fencer.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.app.principal_id
  principal_type       = "ServicePrincipal"
}

# FlexConsumption: with the app's system-assigned identity, as the flex resource cannot name
# another (function.tf). Set after the app exists; the references resolve once the secrets are
# set and the package is deployed (docs/deploy.md steps 4-5), which restarts the app.
resource "azurerm_role_assignment" "flex_secrets" {
  count                = local.flex ? 1 : 0
  scope                = azurerm_key_vault.fencer.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_function_app_flex_consumption.fencer[0].identity[0].principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "operator_secrets" {
  count                = local.operator_grant
  scope                = azurerm_key_vault.fencer.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = var.operator_principal_id
}
