# The AWS side of web-identity federation: the Function's fence identity gets an Entra token
# for `aws_audience` (core/drivers/awsCredentials.ts) and exchanges it with STS
# AssumeRoleWithWebIdentity for this role. No long-lived AWS key exists anywhere.
#
# Issuer: https://sts.windows.net/<tenant>/, Entra's v1 token issuer. A managed identity's
# token for an app whose accessTokenAcceptedVersion is unset (the default) is a v1 token: its
# `aud` is the app id URI exactly as requested and it carries no `azp`, which IAM would use
# in place of `aud`. Its `sub` (and `oid`) is the identity's object id.
locals {
  entra_issuer = "https://sts.windows.net/${local.tenant_id}/"
  # IAM's condition keys name the provider by its URL without the scheme.
  entra_issuer_key = "sts.windows.net/${local.tenant_id}/"
  aws_count        = var.aws_enabled ? 1 : 0
}

data "aws_caller_identity" "current" {
  count = local.aws_count
}

data "aws_partition" "current" {
  count = local.aws_count
}

resource "aws_iam_openid_connect_provider" "entra" {
  count          = local.aws_count
  url            = local.entra_issuer
  client_id_list = [var.aws_audience]
  # AWS verifies well-known issuers against its trusted CAs; thumbprints are optional.
  thumbprint_list = length(var.aws_oidc_thumbprints) > 0 ? var.aws_oidc_thumbprints : null
  tags            = var.tags
}

# Only the fence identity of this deployment, and only with tokens for our audience.
data "aws_iam_policy_document" "trust" {
  count = local.aws_count
  statement {
    sid     = "FencerFenceIdentityOnly"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.entra[0].arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.entra_issuer_key}:aud"
      values   = [var.aws_audience]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.entra_issuer_key}:sub"
      values   = [azurerm_user_assigned_identity.fence.principal_id]
    }
  }
}

# Exactly what the aws-ec2 driver calls (core/drivers/awsEc2.ts): stop and start, only on
# instances tagged with one of the clusters, and describe (which has no resource-level
# permissions in EC2, so it cannot be narrowed by tag).
data "aws_iam_policy_document" "fence" {
  count = local.aws_count
  statement {
    sid       = "StopStartClusterInstances"
    effect    = "Allow"
    actions   = ["ec2:StopInstances", "ec2:StartInstances"]
    resources = ["arn:${data.aws_partition.current[0].partition}:ec2:*:${data.aws_caller_identity.current[0].account_id}:instance/*"]
    condition {
      test = "StringEquals"
      # Instances are tagged fencer-cluster=<cluster name of fencer.yaml>.
      variable = "aws:ResourceTag/fencer-cluster"
      values   = var.aws_fence_clusters
    }
  }
  statement {
    sid       = "ReadPowerState"
    effect    = "Allow"
    actions   = ["ec2:DescribeInstances"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "fence" {
  count                = local.aws_count
  name                 = var.aws_role_name
  description          = "Fencer: stop and start EC2 instances of its clusters, from the Azure Function's fence identity"
  assume_role_policy   = data.aws_iam_policy_document.trust[0].json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "fence" {
  count  = local.aws_count
  name   = "fencer-fence"
  role   = aws_iam_role.fence[0].id
  policy = data.aws_iam_policy_document.fence[0].json
}
