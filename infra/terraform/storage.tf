# The storage account: the ledger tables, the fence queues, the deployment package container,
# and the Functions host's own blobs. Shared-key access is off, so only Entra identities get
# in. The app identity's data roles are on this account, which holds nothing but Fencer's
# data; Blob Data Owner is account-wide because the host keeps timer-trigger and singleton
# leases in azure-webjobs-hosts and its keys in azure-webjobs-secrets, besides the package.
resource "azurerm_storage_account" "fencer" {
  name                            = substr("${var.name_prefix}${local.suffix}", 0, 24)
  resource_group_name             = azurerm_resource_group.fencer.name
  location                        = var.location
  account_kind                    = "StorageV2"
  account_tier                    = "Standard"
  account_replication_type        = var.storage_replication
  shared_access_key_enabled       = false
  default_to_oauth_authentication = true
  allow_nested_items_to_be_public = false
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  tags                            = var.tags
}

resource "azurerm_storage_container" "package" {
  name                  = "app-package"
  storage_account_id    = azurerm_storage_account.fencer.id
  container_access_type = "private"
}

# The queues the triggers listen on with FENCER_STORAGE_PREFIX=fencer (core/ledger/storage.ts
# storageNames). storage_account_id (azurerm 4.46+): through ARM, as shared keys are off.
# The ledger tables are not declared here: azurerm_storage_table takes storage_account_id
# only from 4.77, and before that writes through the data plane, which needs a data role for
# whoever runs Terraform. The app creates its tables (and these queues) at start if missing
# (core/ledger/storage.ts ensureStorage), with Storage Table Data Contributor.
resource "azurerm_storage_queue" "fence" {
  for_each           = toset(["fencer-fence", "fencer-fence-poison"])
  name               = each.key
  storage_account_id = azurerm_storage_account.fencer.id
}

resource "azurerm_role_assignment" "app_storage" {
  for_each = toset([
    "Storage Blob Data Owner",
    "Storage Queue Data Contributor",
    "Storage Table Data Contributor",
  ])
  scope                = azurerm_storage_account.fencer.id
  role_definition_name = each.key
  principal_id         = azurerm_user_assigned_identity.app.principal_id
  principal_type       = "ServicePrincipal"
}

# The operator uploads the package here on ElasticPremium (run-from-package URL).
resource "azurerm_role_assignment" "operator_upload" {
  count                = local.operator_grant
  scope                = "${azurerm_storage_account.fencer.id}/blobServices/default/containers/${azurerm_storage_container.package.name}"
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = var.operator_principal_id
}
