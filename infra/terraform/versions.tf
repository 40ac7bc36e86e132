# Fencer on Azure Functions (azurerm), plus the AWS side of web-identity federation (aws):
#   terraform init && terraform apply -var-file=terraform.tfvars
# See docs/deploy.md, "Deploy to Azure".
terraform {
  # 1.9+: variable validations that look at other variables (the AWS side's inputs).
  required_version = ">= 1.9"
  required_providers {
    azurerm = {
      source = "hashicorp/azurerm"
      # Flex Consumption with always_ready blocks, Node 22, rbac_authorization_enabled.
      version = ">= 4.42, < 5.0"
    }
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.81, < 7.0"
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

provider "aws" {
  region = var.aws_region
  # Without the AWS side (aws_enabled = false) plan and apply need no AWS credentials.
  skip_credentials_validation = !var.aws_enabled
  skip_requesting_account_id  = !var.aws_enabled
}
