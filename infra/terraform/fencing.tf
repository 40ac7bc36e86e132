# The custom role of the fence identity: exactly what the azure-vm driver calls
# (core/drivers/azureVm.ts): powerOff, start (unfence with power-on), and reads (instanceView
# for the power state). The set LifeKeeper's Azure fencing documentation asks for.
# Microsoft.Authorization/permissions/read is left out: only `fencer doctor` lists
# permissions (driver check()), and it runs with the operator's credential, not this one.
locals {
  fence_scopes = {
    for s in var.fence_resource_groups :
    "${coalesce(s.subscription_id, var.subscription_id)}/${s.resource_group}" => {
      subscription_id = coalesce(s.subscription_id, var.subscription_id)
      scope           = "/subscriptions/${coalesce(s.subscription_id, var.subscription_id)}/resourceGroups/${s.resource_group}"
    }
  }
}

resource "azurerm_role_definition" "fencing" {
  name        = "Fencer VM fencing (${var.name_prefix}, ${var.resource_group_name})"
  scope       = "/subscriptions/${var.subscription_id}"
  description = "Fencer: power Azure VMs off and on, and read their power state."
  permissions {
    actions = [
      "Microsoft.Compute/*/read",
      "Microsoft.Compute/virtualMachines/powerOff/action",
      "Microsoft.Compute/virtualMachines/start/action",
    ]
    not_actions = []
  }
  assignable_scopes = [for s in values(local.fence_scopes) : s.scope]
}

resource "azurerm_role_assignment" "fencing" {
  for_each = local.fence_scopes
  scope    = each.value.scope
  # The role addressed in the assignment's own subscription: a cluster's resource group may
  # be in another subscription of the tenant.
  role_definition_id = "/subscriptions/${each.value.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${azurerm_role_definition.fencing.role_definition_id}"
  principal_id       = azurerm_user_assigned_identity.fence.principal_id
  principal_type     = "ServicePrincipal"
  description        = "Fencer fence identity: power VMs of this resource group off and on"
}
