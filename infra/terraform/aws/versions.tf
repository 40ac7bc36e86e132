# The AWS side of EC2 fencing, a root module of its own: an IAM OIDC provider trusting the
# Function's Entra tokens and the role its fence identity assumes. Apply it after the Azure
# module, with that module's tenant_id and fence_identity_principal_id outputs:
#   terraform -chdir=infra/terraform/aws init && terraform -chdir=infra/terraform/aws apply
# See docs/deploy.md, "AWS side".
terraform {
  required_version = ">= 1.9"
  required_providers {
    aws = {
      source = "hashicorp/aws"
      # test/infra checks every argument here against the 6.0.0 schema
      # (@cdktf/provider-aws 21.0.0), so the minimum is the release that was checked.
      version = ">= 6.0, < 7.0"
    }
  }
}

provider "aws" {
  region = var.aws_region
}
