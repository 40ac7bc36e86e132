// The fencing role for the fence identity on one resource group of a cluster's VMs.
param principalId string
@description('Name (GUID) of the custom fencing role.')
param roleName string

var roleDefinitionId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleName)

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, roleDefinitionId)
  properties: {
    roleDefinitionId: roleDefinitionId
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Fencer fence identity: power VMs of this resource group off and on'
  }
}
