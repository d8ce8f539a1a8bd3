output "kms_key_arn" {
  description = "The KMS key the secrets are encrypted with."
  value       = aws_kms_key.secrets.arn
}

output "django_secret_key_arn" {
  description = "Secret holding SECRET_KEY."
  value       = aws_secretsmanager_secret.django_secret_key.arn
}

output "redis_auth_token_arn" {
  description = "Secret holding the ElastiCache AUTH token (REDIS_AUTH_TOKEN)."
  value       = aws_secretsmanager_secret.redis_auth_token.arn
}

output "redis_auth_token" {
  description = "The AUTH token itself, for the cache module."
  value       = aws_secretsmanager_secret_version.redis_auth_token.secret_string
  sensitive   = true
}

output "smtp_password_arn" {
  description = "Secret holding EMAIL_HOST_PASSWORD (set it after the first apply)."
  value       = aws_secretsmanager_secret.smtp_password.arn
}

output "secret_arns" {
  description = "Every application secret (what the task roles may read)."
  value = [
    aws_secretsmanager_secret.django_secret_key.arn,
    aws_secretsmanager_secret.redis_auth_token.arn,
    aws_secretsmanager_secret.smtp_password.arn,
  ]
}
