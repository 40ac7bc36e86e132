# The Function App (Linux): Flex Consumption with always-ready instances for the HTTP functions
# and the fence queue trigger, or Elastic Premium with always-ready instances for the whole
# app. HTTPS only, TLS 1.2+, FTP and basic-auth publishing off. Storage is reached with the
# app identity (AzureWebJobsStorage__*), keys come from Key Vault references.
locals {
  # The settings of functions/settings.ts `appSettings` marked `set` that both plans get here
  # (test/infra checks it); AzureWebJobsStorage__accountName comes per plan, below.
  fencer_settings = {
    FENCER_CONFIG                   = "fencer.yaml"
    FENCER_STORAGE_PREFIX           = "fencer"
    AzureWebJobsStorage__credential = "managedidentity"
    AzureWebJobsStorage__clientId   = azurerm_user_assigned_identity.app.client_id
    # The fence identity, read by the code only (functions/deps.ts). Not AZURE_CLIENT_ID,
    # which every DefaultAzureCredential in the app and host would pick up.
    FENCER_FENCE_CLIENT_ID = azurerm_user_assigned_identity.fence.client_id
  }
  # With an identity storage_authentication_type the flex resource still writes
  # AzureWebJobsStorage as a connection string with an empty AccountKey, which the host (and
  # any code preferring a connection string) would use and fail with. Setting it empty is
  # the workaround of Microsoft's Flex sample (IaC/terraformazurerm/main.tf) until provider
  # issues #29693 / #29149 are fixed; the empty value counts as unset everywhere.
  flex_settings = {
    AzureWebJobsStorage              = ""
    AzureWebJobsStorage__accountName = azurerm_storage_account.fencer.name
  }
  # Read by the Functions host: telemetry, sent with the app identity's Entra token (the
  # connection string itself is site_config.application_insights_connection_string).
  host_settings = {
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING = "ClientId=${azurerm_user_assigned_identity.app.client_id};Authorization=AAD"
  }
  key_vault_references = {
    for setting, secret in var.key_vault_secrets :
    setting => "@Microsoft.KeyVault(VaultName=${azurerm_key_vault.fencer.name};SecretName=${secret})"
  }
  # On Premium the package is a blob read with the app identity, so no Azure Files share
  # (which would need a shared key) is involved. Flex Consumption sets the package in its
  # deployment storage and rejects these settings.
  premium_settings = {
    WEBSITE_RUN_FROM_PACKAGE                     = "${azurerm_storage_account.fencer.primary_blob_endpoint}${azurerm_storage_container.package.name}/${local.package_name}"
    WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID = azurerm_user_assigned_identity.app.id
  }
  identities = [azurerm_user_assigned_identity.app.id, azurerm_user_assigned_identity.fence.id]
  subnet_id  = var.virtual_network_subnet_id == "" ? null : var.virtual_network_subnet_id
}

resource "azurerm_service_plan" "fencer" {
  name                         = "${local.function_name}-plan"
  resource_group_name          = azurerm_resource_group.fencer.name
  location                     = var.location
  os_type                      = "Linux"
  sku_name                     = local.flex ? "FC1" : "EP1"
  maximum_elastic_worker_count = local.flex ? null : 20
  tags                         = var.tags
}

resource "azurerm_function_app_flex_consumption" "fencer" {
  count                                          = local.flex ? 1 : 0
  name                                           = local.function_name
  resource_group_name                            = azurerm_resource_group.fencer.name
  location                                       = var.location
  service_plan_id                                = azurerm_service_plan.fencer.id
  https_only                                     = true
  webdeploy_publish_basic_authentication_enabled = false
  storage_container_type                         = "blobContainer"
  storage_container_endpoint                     = "${azurerm_storage_account.fencer.primary_blob_endpoint}${azurerm_storage_container.package.name}"
  storage_authentication_type                    = "UserAssignedIdentity"
  storage_user_assigned_identity_id              = azurerm_user_assigned_identity.app.id
  runtime_name                                   = "node"
  runtime_version                                = var.node_version
  maximum_instance_count                         = var.maximum_instance_count
  instance_memory_in_mb                          = 2048
  virtual_network_subnet_id                      = local.subnet_id
  app_settings                                   = merge(local.fencer_settings, local.flex_settings, local.host_settings, local.key_vault_references)
  tags                                           = var.tags

  # This resource has no key_vault_reference_identity_id (provider issue #28928), so Key Vault
  # references resolve with the system-assigned identity, which may read secrets and nothing
  # else (azurerm_role_assignment.flex_secrets).
  identity {
    type         = "SystemAssigned, UserAssigned"
    identity_ids = local.identities
  }

  # `http` is the group of every HTTP function; the queue trigger scales on its own.
  always_ready {
    name           = "http"
    instance_count = var.always_ready_instances
  }
  always_ready {
    name           = "function:fenceWorker"
    instance_count = var.always_ready_instances
  }

  # No ftps_state: Flex Consumption has no FTP and rejects the setting.
  site_config {
    minimum_tls_version                    = "1.2"
    scm_minimum_tls_version                = "1.2"
    http2_enabled                          = true
    application_insights_connection_string = azurerm_application_insights.fencer.connection_string
  }

  # The app must find its roles in place when it first starts (storage, telemetry).
  depends_on = [
    azurerm_role_assignment.app_storage,
    azurerm_role_assignment.app_telemetry,
  ]
}

resource "azurerm_linux_function_app" "fencer" {
  count                                          = local.flex ? 0 : 1
  name                                           = local.function_name
  resource_group_name                            = azurerm_resource_group.fencer.name
  location                                       = var.location
  service_plan_id                                = azurerm_service_plan.fencer.id
  https_only                                     = true
  ftp_publish_basic_authentication_enabled       = false
  webdeploy_publish_basic_authentication_enabled = false
  key_vault_reference_identity_id                = azurerm_user_assigned_identity.app.id
  # Exactly one of storage_account_name / storage_key_vault_secret_id is required. With
  # storage_uses_managed_identity the provider writes AzureWebJobsStorage__accountName itself
  # (so app_settings must not: a permanent diff) and no key; __credential and __clientId pick
  # the app identity.
  storage_account_name          = azurerm_storage_account.fencer.name
  storage_uses_managed_identity = true
  # No Azure Files content share and no AzureWebJobsDashboard: both need shared keys.
  content_share_force_disabled = true
  builtin_logging_enabled      = false
  virtual_network_subnet_id    = local.subnet_id
  app_settings                 = merge(local.fencer_settings, local.host_settings, local.key_vault_references, local.premium_settings)
  tags                         = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = local.identities
  }

  site_config {
    minimum_tls_version                    = "1.2"
    scm_minimum_tls_version                = "1.2"
    ftps_state                             = "Disabled"
    http2_enabled                          = true
    elastic_instance_minimum               = var.always_ready_instances
    pre_warmed_instance_count              = var.always_ready_instances
    application_insights_connection_string = azurerm_application_insights.fencer.connection_string
    application_stack {
      node_version = var.node_version
    }
  }

  # The app must find its roles in place when it first starts (Key Vault references, storage).
  depends_on = [
    azurerm_role_assignment.app_storage,
    azurerm_role_assignment.app_secrets,
    azurerm_role_assignment.app_telemetry,
  ]
}

locals {
  function_host = local.flex ? azurerm_function_app_flex_consumption.fencer[0].default_hostname : azurerm_linux_function_app.fencer[0].default_hostname
}
