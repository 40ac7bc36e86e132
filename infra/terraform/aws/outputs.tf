output "aws_role_arn" {
  description = "roleArn for aws-ec2 devices' credential.webIdentity in fencer.yaml."
  value       = aws_iam_role.fence.arn
}

output "aws_audience" {
  description = "audience for aws-ec2 devices' credential.webIdentity in fencer.yaml."
  value       = var.aws_audience
}

output "entra_issuer" {
  description = "The Entra issuer the AWS OIDC provider trusts (v1 access tokens)."
  value       = local.entra_issuer
}
