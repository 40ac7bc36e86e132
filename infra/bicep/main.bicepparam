// Example parameters: copy, edit, then
//   az deployment sub create -l westeurope -f infra/bicep/main.bicep -p infra/bicep/main.bicepparam
using 'main.bicep'

param location = 'westeurope'
param resourceGroupName = 'rg-fencer'
param namePrefix = 'fencer'
param hostingPlan = 'FlexConsumption'
param nodeVersion = '22'
param alwaysReadyInstances = 1
param storageSku = 'Standard_ZRS'

// The resource groups of the clusters' VMs (the only places the fence identity may act).
param fenceResourceGroups = [
  { resourceGroup: 'rg-Group1' }
  { subscriptionId: '00000000-0000-0000-0000-000000000000', resourceGroup: 'rg-Group2' }
]

// One entry per `secretRef: env:NAME` in fencer.yaml: app setting → Key Vault secret name.
param keyVaultSecrets = {
  FENCER_KEY_PROD_DB_MINUTE_MAID: 'fencer-key-prod-db-minute-maid'
  FENCER_KEY_PROD_DB_LAMPSERVER: 'fencer-key-prod-db-lampserver'
  FENCER_ADMIN_OPS: 'fencer-admin-ops'
  FENCER_RELAY_DC1: 'fencer-relay-dc1'
}

// `az ad signed-in-user show --query id -o tsv`: may set the secrets (and upload on Premium).
param operatorPrincipalId = ''

// Optional: VNet integration, to reach relays behind a VPN or ExpressRoute (docs/deploy.md).
param virtualNetworkSubnetId = ''

// Optional: Azure Monitor alerts (failed fence, poison queue) to this address; '' for none.
param alertEmail = 'oncall@example.com'
