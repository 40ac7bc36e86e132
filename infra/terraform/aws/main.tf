# The AWS side of web-identity federation: the Function's fence identity gets an Entra token
# for `aws_audience` (core/drivers/awsCredentials.ts) and exchanges it with STS
# AssumeRoleWithWebIdentity for this role. No long-lived AWS key exists anywhere.
#
# Issuer: https://sts.windows.net/<tenant>/, Entra's v1 token issuer. A managed identity's
# token for an app registration issues v1 tokens when the app's
# api.requestedAccessTokenVersion (accessTokenAcceptedVersion in the manifest) is 1 or null
# (null means v1 for single-tenant apps). Then `aud` is the app id URI exactly as requested,
# there is no `azp` (which IAM would use in place of `aud`), and `sub` (and `oid`) is the
# identity's object id. With v2 tokens the issuer is login.microsoftonline.com/<tenant>/v2.0
# and `aud` the app's client id, and neither condition below would match: docs/deploy.md sets
# the version to 1 when it creates the app, and its pre-flight checks it.
locals {
  entra_issuer = "https://sts.windows.net/${var.tenant_id}/"
  # IAM's condition keys name the provider by its URL without the scheme.
  entra_issuer_key = "sts.windows.net/${var.tenant_id}/"
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

resource "aws_iam_openid_connect_provider" "entra" {
  url            = local.entra_issuer
  client_id_list = [var.aws_audience]
  # AWS verifies well-known issuers against its trusted CAs; thumbprints are optional.
  thumbprint_list = length(var.aws_oidc_thumbprints) > 0 ? var.aws_oidc_thumbprints : null
  tags            = var.tags
}

# Only the fence identity of this deployment, and only with tokens for our audience.
data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "FencerFenceIdentityOnly"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.entra.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.entra_issuer_key}:aud"
      values   = [var.aws_audience]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.entra_issuer_key}:sub"
      values   = [var.fence_identity_principal_id]
    }
  }
}

# Exactly what the aws-ec2 driver calls (core/drivers/awsEc2.ts): stop and start, only on
# instances tagged with one of the clusters, and describe (which has no resource-level
# permissions in EC2, so it cannot be narrowed by tag).
data "aws_iam_policy_document" "fence" {
  statement {
    sid       = "StopStartClusterInstances"
    effect    = "Allow"
    actions   = ["ec2:StopInstances", "ec2:StartInstances"]
    resources = ["arn:${data.aws_partition.current.partition}:ec2:*:${data.aws_caller_identity.current.account_id}:instance/*"]
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
  name                 = var.aws_role_name
  description          = "Fencer: stop and start EC2 instances of its clusters, from the Azure Function's fence identity"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "fence" {
  name   = "fencer-fence"
  role   = aws_iam_role.fence.id
  policy = data.aws_iam_policy_document.fence.json
}
