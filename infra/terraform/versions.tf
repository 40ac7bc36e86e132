# Fencer on Azure Functions:
#   terraform init && terraform apply -var-file=terraform.tfvars
# The AWS side of EC2 fencing is its own root module (aws/), so an Azure-only deployment never
# configures the AWS provider (which asks for AWS credentials at plan even when nothing of it
# is used). See docs/deploy.md, "Deploy to Azure".
terraform {
  # 1.9+: variable validations that look at other variables.
  required_version = ">= 1.9"
  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
      # 4.46: azurerm_storage_queue takes storage_account_id (through ARM, as shared keys are
      # off). test/infra checks every argument here against the 4.46.0 schema
      # (@cdktf/provider-azurerm 14.14.0), so the minimum is the release that was checked.
      version = ">= 4.46, < 5.0"
    }
  }
}

provider "azurerm" {
  features {}
  subscription_id = var.subscription_id
  # Shared-key access is off on the storage account: the provider's own data-plane reads use
  # Entra ID too.
  storage_use_azuread = true
}
