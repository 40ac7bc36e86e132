output "api_base_url" {
  description = "Base URL for `fencer report --url` and the nodes' hooks."
  value       = "https://${local.function_host}/api"
}

output "report_url" {
  description = "Where nodes POST signed suspected-dead reports ({cluster}: a cluster name of fencer.yaml)."
  value       = "https://${local.function_host}/api/v1/clusters/{cluster}/reports"
}

output "function_app_name" {
  description = "The Function App, for `az functionapp deployment source config-zip`."
  value       = local.function_name
}

output "resource_group_name" {
  description = "The resource group of every Fencer resource."
  value       = azurerm_resource_group.fencer.name
}

output "storage_account_name" {
  description = "The storage account (ledger, fence queues, package container)."
  value       = azurerm_storage_account.fencer.name
}

output "deployment_container_url" {
  description = "The package container (ElasticPremium: upload fencer-functions.zip here)."
  value       = "${azurerm_storage_account.fencer.primary_blob_endpoint}${azurerm_storage_container.package.name}"
}

output "key_vault_name" {
  description = "Key Vault for the node, admin and relay keys."
  value       = azurerm_key_vault.fencer.name
}

output "fence_identity_client_id" {
  description = "Client id of the fencing identity (the app setting FENCER_FENCE_CLIENT_ID)."
  value       = azurerm_user_assigned_identity.fence.client_id
}

output "fence_identity_principal_id" {
  description = "Object id of the fencing identity: the `sub` of its tokens, which the AWS role trusts (fence_identity_principal_id of the aws/ module)."
  value       = azurerm_user_assigned_identity.fence.principal_id
}

output "tenant_id" {
  description = "Entra tenant of the identities (tenant_id of the aws/ module)."
  value       = local.tenant_id
}
