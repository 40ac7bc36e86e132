// Two user-assigned identities, so that neither holds the other's rights: the app identity
// reaches storage, Key Vault and Application Insights; the fence identity may only power VMs
// off and on (and is what AWS trusts). User-assigned, not system-assigned, so every role
// assignment exists before the app starts and resolves its Key Vault references.
param location string
param namePrefix string
param tags object

resource app 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-app-id'
  location: location
  tags: tags
}

resource fence 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-fence-id'
  location: location
  tags: tags
}

output appIdentityId string = app.id
output appClientId string = app.properties.clientId
output appPrincipalId string = app.properties.principalId
output fenceIdentityId string = fence.id
output fenceClientId string = fence.properties.clientId
output fencePrincipalId string = fence.properties.principalId
