# The custom role of the fence identity: exactly what the azure-vm driver calls
# (core/drivers/azureVm.ts): powerOff, start (unfence with power-on), and the VM's instance
# view for the power state. Nothing broader than virtualMachines/read and its instanceView:
# no wildcard over Microsoft.Compute. Microsoft.Authorization/permissions/read is left out:
# only `fencer doctor` lists permissions (driver check()), and it runs with the operator's
# credential, not this one.
locals {
  # In the order given: the first one is where the role is created.
  fence_scopes = distinct([
    for s in var.fence_resource_groups :
    "/subscriptions/${coalesce(s.subscription_id, var.subscription_id)}/resourceGroups/${s.resource_group}"
  ])
  fence_assignments = {
    for s in var.fence_resource_groups :
    "${coalesce(s.subscription_id, var.subscription_id)}/${s.resource_group}" => {
      subscription_id = coalesce(s.subscription_id, var.subscription_id)
      scope           = "/subscriptions/${coalesce(s.subscription_id, var.subscription_id)}/resourceGroups/${s.resource_group}"
    }
  }
}

resource "azurerm_role_definition" "fencing" {
  # Role names are unique in the tenant: the suffix is this deployment's (subscription and
  # resource group), so two deployments never collide.
  name = "Fencer VM fencing (${var.name_prefix}, ${local.suffix})"
  # A custom role is created at the first of its assignable scopes, which may be a resource
  # group of another subscription than the deployment's (custom roles REST API).
  scope       = local.fence_scopes[0]
  description = "Fencer: power Azure VMs off and on, and read their power state."
  permissions {
    actions = [
      "Microsoft.Compute/virtualMachines/read",
      "Microsoft.Compute/virtualMachines/instanceView/read",
      "Microsoft.Compute/virtualMachines/powerOff/action",
      "Microsoft.Compute/virtualMachines/start/action",
    ]
    not_actions = []
  }
  assignable_scopes = local.fence_scopes
}

resource "azurerm_role_assignment" "fencing" {
  for_each = local.fence_assignments
  scope    = each.value.scope
  # The role addressed in the assignment's own subscription: a cluster's resource group may
  # be in another subscription of the tenant.
  role_definition_id = "/subscriptions/${each.value.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${azurerm_role_definition.fencing.role_definition_id}"
  principal_id       = azurerm_user_assigned_identity.fence.principal_id
  principal_type     = "ServicePrincipal"
  description        = "Fencer fence identity: power VMs of this resource group off and on"
}
