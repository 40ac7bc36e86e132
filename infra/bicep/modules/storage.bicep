// The storage account: the ledger tables, the fence queues, the deployment package container,
// and the Functions host's own blobs. Shared-key access is off, so only Entra identities get
// in. The app identity's data roles are on this account, which holds nothing but Fencer's
// data; Blob Data Owner is account-wide because the host keeps timer-trigger and singleton
// leases in azure-webjobs-hosts and its keys in azure-webjobs-secrets, besides the package.
param location string
param name string
param sku string
param tags object
param appPrincipalId string
param operatorPrincipalId string

// The names the code uses with FENCER_STORAGE_PREFIX=fencer (core/ledger/storage.ts
// storageNames); the app also creates them if missing.
var tables = ['fencerledger', 'fencerreplay']
var queues = ['fencer-fence', 'fencer-fence-poison']
var deploymentContainer = 'app-package'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: sku }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    accessTier: 'Hot'
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: deploymentContainer
  properties: { publicAccess: 'None' }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource ledgerTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for table in tables: {
    parent: tableService
    name: table
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource fenceQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queue in queues: {
    parent: queueService
    name: queue
  }
]

var roles = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource appRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in items(roles): {
    name: guid(account.id, appPrincipalId, role.value)
    scope: account
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
      description: 'Fencer app identity: ${role.key}'
    }
  }
]

var blobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

// The operator uploads the package here on ElasticPremium (run-from-package URL).
resource operatorUpload 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(container.id, operatorPrincipalId, blobDataContributor)
  scope: container
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributor)
    principalId: operatorPrincipalId
  }
}

output name string = account.name
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer}'
