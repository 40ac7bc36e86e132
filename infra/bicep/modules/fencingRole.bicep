// The custom role of the fence identity: exactly what the azure-vm driver calls
// (core/drivers/azureVm.ts): powerOff, start (unfence with power-on), and the VM's instance
// view for the power state. Nothing broader than virtualMachines/read and its instanceView:
// no wildcard over Microsoft.Compute.
// Microsoft.Authorization/permissions/read is left out: only `fencer doctor` lists
// permissions (driver check()), and it runs with the operator's credential, not this one.
// Deployed at the first assignable scope (a resource group): see main.bicep.
targetScope = 'resourceGroup'

param roleName string
param assignableScopes string[]

var actions = [
  'Microsoft.Compute/virtualMachines/read'
  'Microsoft.Compute/virtualMachines/instanceView/read'
  'Microsoft.Compute/virtualMachines/powerOff/action'
  'Microsoft.Compute/virtualMachines/start/action'
]

resource role 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, roleName)
  properties: {
    roleName: roleName
    description: 'Fencer: power Azure VMs off and on, and read their power state.'
    type: 'CustomRole'
    permissions: [
      {
        actions: actions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: assignableScopes
  }
}

// The role's name (a GUID): each assignment addresses it in its own subscription, which
// matters when a cluster's resource group is in another subscription of the tenant.
output roleName string = role.name
