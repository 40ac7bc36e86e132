// The custom role of the fence identity: exactly what the azure-vm driver calls
// (core/drivers/azureVm.ts): powerOff, start (unfence with power-on), and reads (instanceView
// for the power state). The set LifeKeeper's Azure fencing documentation asks for.
// Microsoft.Authorization/permissions/read is left out: only `fencer doctor` lists
// permissions (driver check()), and it runs with the operator's credential, not this one.
targetScope = 'subscription'

param roleName string
param assignableScopes string[]

var actions = [
  'Microsoft.Compute/*/read'
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
