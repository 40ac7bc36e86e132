variable "tenant_id" {
  description = "Entra tenant of the fence identity: the Azure module's tenant_id output."
  type        = string
  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", var.tenant_id))
    error_message = "tenant_id must be a GUID."
  }
}

variable "fence_identity_principal_id" {
  description = "Object id of the fence identity (the `sub` of its tokens): the Azure module's fence_identity_principal_id output."
  type        = string
  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", var.fence_identity_principal_id))
    error_message = "fence_identity_principal_id must be an object id (GUID)."
  }
}

variable "aws_region" {
  description = "AWS region of the provider (IAM is global; this only picks the API endpoint)."
  type        = string
  default     = "us-east-1"
  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-\\d+$", var.aws_region))
    error_message = "aws_region must be a region such as us-east-1."
  }
}

variable "aws_audience" {
  description = "Application ID URI of the Entra app registration the fence identity requests tokens for (e.g. api://fencer-aws); the `audience` of aws-ec2 web identity in fencer.yaml. The app must issue v1 access tokens (api.requestedAccessTokenVersion 1 or null): docs/deploy.md, pre-flight."
  type        = string
  validation {
    condition     = can(regex("^(api://|https://)[^\\s]+$", var.aws_audience))
    error_message = "aws_audience must be an application ID URI (api://... or https://...)."
  }
}

variable "aws_fence_clusters" {
  description = "Cluster names (fencer.yaml) whose EC2 instances may be stopped and started: instances must carry the tag fencer-cluster=<name>."
  type        = list(string)
  validation {
    condition     = length(var.aws_fence_clusters) > 0
    error_message = "List at least one cluster in aws_fence_clusters."
  }
  validation {
    condition     = alltrue([for c in var.aws_fence_clusters : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$", c))])
    error_message = "Cluster names are 1-63 chars of [A-Za-z0-9._-], starting alphanumeric (as in fencer.yaml)."
  }
}

variable "aws_role_name" {
  description = "Name of the IAM role the Function assumes."
  type        = string
  default     = "fencer-fence"
  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,64}$", var.aws_role_name))
    error_message = "aws_role_name must be 1-64 characters of [A-Za-z0-9+=,.@_-]."
  }
}

variable "aws_oidc_thumbprints" {
  description = "Optional certificate thumbprints of the issuer's TLS chain; AWS checks well-known issuers against its trusted CAs without them."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for t in var.aws_oidc_thumbprints : can(regex("^[0-9a-fA-F]{40}$", t))])
    error_message = "Thumbprints are 40 hex digits (SHA-1)."
  }
}

variable "tags" {
  description = "Tags for every AWS resource."
  type        = map(string)
  default     = {}
}
