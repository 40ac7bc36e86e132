// Fencer on Azure Functions: one resource group with the Function App, its storage, Key Vault,
// Application Insights and two user-assigned identities, plus a custom fencing role assigned at
// the resource groups of the clusters' VMs. Deploy at subscription scope:
//   az deployment sub create -l <region> -f infra/bicep/main.bicep -p infra/bicep/main.bicepparam
// Identities (least privilege, see docs/deploy.md):
//   app identity    → storage data roles, Key Vault Secrets User, Monitoring Metrics Publisher
//   fence identity  → only the custom fencing role, only on `fenceResourceGroups`; also the
//                     identity whose Entra token AWS accepts (infra/terraform/aws)
targetScope = 'subscription'

@description('Azure region of every resource. Flex Consumption is not in every region: `az functionapp list-flexconsumption-locations`.')
param location string

@description('Resource group to create (or update) for Fencer.')
param resourceGroupName string = 'rg-fencer'

@description('Short lowercase prefix of every resource name (storage account names allow only a-z and 0-9).')
@minLength(3)
@maxLength(11)
param namePrefix string = 'fencer'

@description('FlexConsumption (default; always-ready instances for HTTP and the fence queue) or ElasticPremium (EP1, always-ready instances for the whole app).')
@allowed(['FlexConsumption', 'ElasticPremium'])
param hostingPlan string = 'FlexConsumption'

@description('Node.js major version of the Functions worker.')
@allowed(['20', '22'])
param nodeVersion string = '22'

@description('Always-ready (pre-started) instances: a fence must not wait for a cold start.')
@minValue(1)
@maxValue(10)
param alwaysReadyInstances int = 1

@description('Flex Consumption scale-out limit: 40 (the plan\'s minimum) to 1000.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Standard_ZRS where the region has availability zones; Standard_LRS elsewhere.')
@allowed(['Standard_ZRS', 'Standard_LRS'])
param storageSku string = 'Standard_ZRS'

@description('Resource groups holding the clusters\' VMs: the fence identity gets the fencing role there, and nowhere else. subscriptionId defaults to this subscription.')
@minLength(1)
param fenceResourceGroups fenceScope[]

@description('App setting name → Key Vault secret name, one per `env:NAME` secretRef in fencer.yaml (node keys, admin keys, relay keys). `npm run package -- --config fencer.yaml` lists the names.')
param keyVaultSecrets object = {}

@description('Object id of the operator (user or group) who sets the secrets and, on ElasticPremium, uploads the package. Empty: grant it yourself.')
param operatorPrincipalId string = ''

@description('Tags for every resource.')
param tags object = {}

@description('Optional VNet integration: resource id of a subnet delegated to Microsoft.App/environments (FlexConsumption) or Microsoft.Web/serverFarms (ElasticPremium), e.g. in a VNet with a VPN or ExpressRoute gateway to the relays\' sites. Empty: no VNet integration.')
param virtualNetworkSubnetId string = ''

@description('Where Azure Monitor sends Fencer\'s alerts (a failed fence, a fence message in the poison queue). Empty: no action group and no alert rules.')
param alertEmail string = ''

@description('A resource group whose VMs Fencer may fence.')
type fenceScope = {
  subscriptionId: string?
  resourceGroup: string
}

resource rg 'Microsoft.Resources/resourceGroups@2024-11-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

var suffix = uniqueString(subscription().id, resourceGroupName)

module identities 'modules/identities.bicep' = {
  name: 'fencer-identities'
  scope: rg
  params: { location: location, namePrefix: namePrefix, tags: tags }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'fencer-monitoring'
  scope: rg
  params: {
    location: location
    namePrefix: namePrefix
    tags: tags
    appPrincipalId: identities.outputs.appPrincipalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'fencer-storage'
  scope: rg
  params: {
    location: location
    name: take('${namePrefix}${suffix}', 24)
    sku: storageSku
    tags: tags
    appPrincipalId: identities.outputs.appPrincipalId
    operatorPrincipalId: operatorPrincipalId
  }
}

module vault 'modules/keyVault.bicep' = {
  name: 'fencer-keyvault'
  scope: rg
  params: {
    location: location
    name: '${namePrefix}-kv-${take(suffix, 8)}'
    tags: tags
    appPrincipalId: identities.outputs.appPrincipalId
    operatorPrincipalId: operatorPrincipalId
  }
}

module app 'modules/functionApp.bicep' = {
  name: 'fencer-function-app'
  scope: rg
  params: {
    location: location
    name: '${namePrefix}-func-${suffix}'
    tags: tags
    hostingPlan: hostingPlan
    nodeVersion: nodeVersion
    alwaysReadyInstances: alwaysReadyInstances
    maximumInstanceCount: maximumInstanceCount
    appIdentityId: identities.outputs.appIdentityId
    appClientId: identities.outputs.appClientId
    fenceIdentityId: identities.outputs.fenceIdentityId
    fenceClientId: identities.outputs.fenceClientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    keyVaultName: vault.outputs.name
    keyVaultSecrets: keyVaultSecrets
    appInsightsConnectionString: monitoring.outputs.connectionString
    virtualNetworkSubnetId: virtualNetworkSubnetId
  }
}

module alerts 'modules/alerts.bicep' = if (!empty(alertEmail)) {
  name: 'fencer-alerts'
  scope: rg
  params: {
    location: location
    namePrefix: namePrefix
    tags: tags
    insightsId: monitoring.outputs.insightsId
    alertEmail: alertEmail
  }
}

var fenceScopes = [
  for s in fenceResourceGroups: '/subscriptions/${s.?subscriptionId ?? subscription().subscriptionId}/resourceGroups/${s.resourceGroup}'
]

var firstFenceScope = fenceResourceGroups[0]

// A custom role is created at the first of its assignable scopes (custom roles REST API), which
// may be a resource group of another subscription. Role names are unique in the tenant: the
// suffix is this deployment's (subscription and resource group), so two never collide.
module fencingRole 'modules/fencingRole.bicep' = {
  name: 'fencer-fencing-role'
  scope: resourceGroup(firstFenceScope.?subscriptionId ?? subscription().subscriptionId, firstFenceScope.resourceGroup)
  params: { roleName: 'Fencer VM fencing (${namePrefix}, ${suffix})', assignableScopes: fenceScopes }
}

module fencingAssignments 'modules/fencingAssignment.bicep' = [
  for (s, i) in fenceResourceGroups: {
    name: 'fencer-fencing-${i}'
    scope: resourceGroup(s.?subscriptionId ?? subscription().subscriptionId, s.resourceGroup)
    params: {
      principalId: identities.outputs.fencePrincipalId
      roleName: fencingRole.outputs.roleName
    }
  }
]

@description('Base URL for `fencer report --url` and the nodes\' hooks.')
output apiBaseUrl string = app.outputs.apiBaseUrl
@description('Where nodes POST signed suspected-dead reports ({cluster}: a cluster name of fencer.yaml).')
output reportUrl string = '${app.outputs.apiBaseUrl}/v1/clusters/{cluster}/reports'
output functionAppName string = app.outputs.name
output resourceGroupName string = rg.name
output storageAccountName string = storage.outputs.name
output deploymentContainerUrl string = storage.outputs.deploymentContainerUrl
output keyVaultName string = vault.outputs.name
@description('Client id of the fencing identity (the app setting FENCER_FENCE_CLIENT_ID; `managedIdentityClientId` in fencer.yaml if you name it).')
output fenceIdentityClientId string = identities.outputs.fenceClientId
@description('Object id of the fencing identity: the `sub` of its tokens, which the AWS role trusts.')
output fenceIdentityPrincipalId string = identities.outputs.fencePrincipalId
output tenantId string = tenant().tenantId
