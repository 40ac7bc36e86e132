// The Function App (Linux): Flex Consumption with always-ready instances for the HTTP functions
// and the fence queue trigger, or Elastic Premium with always-ready instances for the whole
// app. HTTPS only, TLS 1.2+, FTP and basic-auth publishing off. Storage is reached with the
// app identity (AzureWebJobsStorage__*), keys come from Key Vault references.
param location string
param name string
param tags object
param hostingPlan string
param nodeVersion string
param alwaysReadyInstances int
param maximumInstanceCount int
param appIdentityId string
param appClientId string
param fenceIdentityId string
param fenceClientId string
param storageAccountName string
param deploymentContainerUrl string
param keyVaultName string
param keyVaultSecrets object
param appInsightsConnectionString string
@description('A subnet to integrate with, or empty.')
param virtualNetworkSubnetId string

var isFlex = hostingPlan == 'FlexConsumption'
var packageName = 'fencer-functions.zip'

// Every setting of functions/settings.ts `appSettings` marked `set` (test/infra checks it).
var fencerSettings = [
  { name: 'FENCER_CONFIG', value: 'fencer.yaml' }
  { name: 'FENCER_STORAGE_PREFIX', value: 'fencer' }
  { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: appClientId }
  // The fence identity, read by the code only (functions/deps.ts). Not AZURE_CLIENT_ID, which
  // every DefaultAzureCredential in the app and host would pick up.
  { name: 'FENCER_FENCE_CLIENT_ID', value: fenceClientId }
]

// Read by the Functions host: telemetry, sent with the app identity's Entra token.
var hostSettings = [
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${appClientId};Authorization=AAD' }
]

// Flex Consumption sets runtime and package in functionAppConfig and rejects these settings.
// On Premium the package is a blob read with the app identity, so no Azure Files share (which
// would need a shared key) is involved.
var premiumSettings = [
  { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
  { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'node' }
  { name: 'WEBSITE_RUN_FROM_PACKAGE', value: '${deploymentContainerUrl}/${packageName}' }
  { name: 'WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID', value: appIdentityId }
]

var keyVaultReferences = [
  for secret in items(keyVaultSecrets): {
    name: secret.key
    value: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${secret.value})'
  }
]

var appSettings = concat(fencerSettings, hostSettings, isFlex ? [] : premiumSettings, keyVaultReferences)

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${name}-plan'
  location: location
  tags: tags
  kind: isFlex ? 'functionapp' : 'elastic'
  sku: isFlex ? { name: 'FC1', tier: 'FlexConsumption' } : { name: 'EP1', tier: 'ElasticPremium' }
  properties: isFlex ? { reserved: true } : { reserved: true, maximumElasticWorkerCount: 20 }
}

// No ftpsState here: Flex Consumption has no FTP and rejects the property (ARM error 51021,
// enforced in some regions); Premium sets it below.
var baseSiteConfig = {
  minTlsVersion: '1.2'
  scmMinTlsVersion: '1.2'
  http20Enabled: true
  appSettings: appSettings
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${appIdentityId}': {}, '${fenceIdentityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    keyVaultReferenceIdentity: appIdentityId
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: isFlex
      ? baseSiteConfig
      : union(baseSiteConfig, {
          linuxFxVersion: 'Node|${nodeVersion}'
          minimumElasticInstanceCount: alwaysReadyInstances
          ftpsState: 'Disabled'
        })
    functionAppConfig: isFlex
      ? {
          deployment: {
            storage: {
              type: 'blobContainer'
              value: deploymentContainerUrl
              authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: appIdentityId }
            }
          }
          scaleAndConcurrency: {
            maximumInstanceCount: maximumInstanceCount
            instanceMemoryMB: 2048
            // `http` is the group of every HTTP function; the queue trigger scales on its own.
            alwaysReady: [
              { name: 'http', instanceCount: alwaysReadyInstances }
              { name: 'function:fenceWorker', instanceCount: alwaysReadyInstances }
            ]
          }
          runtime: { name: 'node', version: nodeVersion }
        }
      : null
  }
}

resource ftp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: { allow: false }
}

resource scm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: { allow: false }
}

output name string = site.name
output apiBaseUrl string = 'https://${site.properties.defaultHostName}/api'
