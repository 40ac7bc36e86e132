variable "subscription_id" {
  description = "Azure subscription to deploy into."
  type        = string
  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", var.subscription_id))
    error_message = "subscription_id must be a subscription GUID."
  }
}

variable "location" {
  description = "Azure region of every resource (e.g. westeurope). Flex Consumption is not in every region: `az functionapp list-flexconsumption-locations`."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9]+$", var.location))
    error_message = "location must be a region name such as westeurope (lowercase, no spaces)."
  }
}

variable "resource_group_name" {
  description = "Resource group to create for Fencer."
  type        = string
  default     = "rg-fencer"
  validation {
    condition     = can(regex("^[-\\w.()]{1,89}[-\\w()]$", var.resource_group_name))
    error_message = "resource_group_name must be 2-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'."
  }
}

variable "name_prefix" {
  description = "Short lowercase prefix of every resource name (storage account names allow only a-z and 0-9)."
  type        = string
  default     = "fencer"
  validation {
    condition     = can(regex("^[a-z][a-z0-9]{2,10}$", var.name_prefix))
    error_message = "name_prefix must be 3-11 lowercase letters and digits, starting with a letter."
  }
}

variable "hosting_plan" {
  description = "FlexConsumption (default; always-ready instances for HTTP and the fence queue) or ElasticPremium (EP1, always-ready instances for the whole app)."
  type        = string
  default     = "FlexConsumption"
  validation {
    condition     = contains(["FlexConsumption", "ElasticPremium"], var.hosting_plan)
    error_message = "hosting_plan must be FlexConsumption or ElasticPremium."
  }
}

variable "node_version" {
  description = "Node.js major version of the Functions worker."
  type        = string
  default     = "22"
  validation {
    condition     = contains(["20", "22"], var.node_version)
    error_message = "node_version must be \"20\" or \"22\"."
  }
}

variable "always_ready_instances" {
  description = "Always-ready (pre-started) instances: a fence must not wait for a cold start."
  type        = number
  default     = 1
  validation {
    condition     = var.always_ready_instances >= 1 && var.always_ready_instances <= 10 && floor(var.always_ready_instances) == var.always_ready_instances
    error_message = "always_ready_instances must be a whole number from 1 to 10."
  }
}

variable "maximum_instance_count" {
  description = "Flex Consumption scale-out limit: 40 (the plan's minimum) to 1000."
  type        = number
  default     = 40
  validation {
    condition     = var.maximum_instance_count >= 40 && var.maximum_instance_count <= 1000 && floor(var.maximum_instance_count) == var.maximum_instance_count
    error_message = "maximum_instance_count must be a whole number from 40 (Flex Consumption's minimum) to 1000."
  }
}

variable "storage_replication" {
  description = "ZRS where the region has availability zones; LRS elsewhere."
  type        = string
  default     = "ZRS"
  validation {
    condition     = contains(["ZRS", "LRS"], var.storage_replication)
    error_message = "storage_replication must be ZRS or LRS."
  }
}

variable "fence_resource_groups" {
  description = "Resource groups holding the clusters' VMs: the fence identity gets the fencing role there, and nowhere else. subscription_id defaults to subscription_id."
  type = list(object({
    subscription_id = optional(string)
    resource_group  = string
  }))
  validation {
    condition     = length(var.fence_resource_groups) > 0
    error_message = "fence_resource_groups needs at least one resource group."
  }
  validation {
    condition = alltrue([
      for s in var.fence_resource_groups :
      can(regex("^[-\\w.()]{1,90}$", s.resource_group)) &&
      (s.subscription_id == null || can(regex("^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", s.subscription_id)))
    ])
    error_message = "Each entry needs a valid resource_group name and, if given, a subscription GUID."
  }
}

variable "key_vault_secrets" {
  description = "App setting name => Key Vault secret name, one per `env:NAME` secretRef in fencer.yaml (node, admin and relay keys). `npm run package -- --config fencer.yaml` lists the names."
  type        = map(string)
  default     = {}
  validation {
    condition     = alltrue([for name in keys(var.key_vault_secrets) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", name))])
    error_message = "Setting names must be environment variable names ([A-Za-z_][A-Za-z0-9_]*), as in `env:NAME`."
  }
  validation {
    condition     = alltrue([for secret in values(var.key_vault_secrets) : can(regex("^[0-9A-Za-z-]{1,127}$", secret))])
    error_message = "Key Vault secret names are 1-127 letters, digits and '-'."
  }
}

variable "operator_principal_id" {
  description = "Object id of the operator (user or group) who sets the secrets and, on ElasticPremium, uploads the package. Empty: grant it yourself."
  type        = string
  default     = ""
  validation {
    condition     = var.operator_principal_id == "" || can(regex("^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", var.operator_principal_id))
    error_message = "operator_principal_id must be an object id (GUID) or empty."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "virtual_network_subnet_id" {
  description = "Optional VNet integration: resource id of a subnet delegated to Microsoft.App/environments (FlexConsumption) or Microsoft.Web/serverFarms (ElasticPremium), e.g. in a VNet with a VPN or ExpressRoute gateway to the relays' sites. Empty: no VNet integration."
  type        = string
  default     = ""
  validation {
    condition     = var.virtual_network_subnet_id == "" || can(regex("^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/virtualNetworks/[^/]+/subnets/[^/]+$", var.virtual_network_subnet_id))
    error_message = "virtual_network_subnet_id must be a subnet resource id (/subscriptions/…/resourceGroups/…/providers/Microsoft.Network/virtualNetworks/…/subnets/…) or empty."
  }
}

variable "alert_email" {
  description = "Where Azure Monitor sends Fencer's alerts (a failed fence, a fence message in the poison queue). Empty: no action group and no alert rules."
  type        = string
  default     = ""
  validation {
    condition     = var.alert_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an e-mail address or empty."
  }
}
