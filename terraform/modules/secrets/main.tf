# The application's secrets in Secrets Manager, encrypted with their own KMS key. ECS
# injects them into the containers as environment variables; they never appear in a task
# definition. Generated values are created once (ignore_changes) and can be rotated by
# putting a new value (aws secretsmanager put-secret-value) and redeploying.
#
# The database password is not here: RDS manages it (see the database module).

resource "aws_kms_key" "secrets" {
  description             = "${var.name} application secrets"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "secrets" {
  name          = "alias/${var.name}-secrets"
  target_key_id = aws_kms_key.secrets.key_id
}

# Random values from Secrets Manager itself (no extra provider needed).
data "aws_secretsmanager_random_password" "django" {
  password_length     = 64
  exclude_punctuation = true
}

data "aws_secretsmanager_random_password" "redis" {
  # ElastiCache auth tokens: 16-128 printable characters, no @, ", /; alphanumerics only.
  password_length     = 64
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret" "django_secret_key" {
  name                    = "${var.name}/django-secret-key"
  description             = "SECRET_KEY: Django's signing key"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = var.recovery_window_days
}

resource "aws_secretsmanager_secret_version" "django_secret_key" {
  secret_id     = aws_secretsmanager_secret.django_secret_key.id
  secret_string = data.aws_secretsmanager_random_password.django.random_password
  lifecycle {
    ignore_changes = [secret_string]
  }
}

resource "aws_secretsmanager_secret" "redis_auth_token" {
  name                    = "${var.name}/redis-auth-token"
  description             = "REDIS_AUTH_TOKEN: the ElastiCache AUTH token"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = var.recovery_window_days
}

resource "aws_secretsmanager_secret_version" "redis_auth_token" {
  secret_id     = aws_secretsmanager_secret.redis_auth_token.id
  secret_string = data.aws_secretsmanager_random_password.redis.random_password
  lifecycle {
    ignore_changes = [secret_string]
  }
}

# Set by the operator after the first apply:
#   aws secretsmanager put-secret-value --secret-id <name>/smtp-password --secret-string ...
resource "aws_secretsmanager_secret" "smtp_password" {
  name                    = "${var.name}/smtp-password"
  description             = "EMAIL_HOST_PASSWORD: the SMTP server's password"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = var.recovery_window_days
}

resource "aws_secretsmanager_secret_version" "smtp_password" {
  secret_id     = aws_secretsmanager_secret.smtp_password.id
  secret_string = "set-me"
  lifecycle {
    ignore_changes = [secret_string]
  }
}
