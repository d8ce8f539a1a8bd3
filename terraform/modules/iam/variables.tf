variable "name" {
  description = "Prefix of the roles' names."
  type        = string
}

variable "bucket_arn" {
  description = "ARN of the blob bucket."
  type        = string
}

variable "bucket_prefix" {
  description = "The only key prefix the application may touch (the app writes tenants/<uuid>/...)."
  type        = string
  default     = "tenants/"
}

variable "bucket_kms_key_arn" {
  description = "KMS key of the bucket's objects."
  type        = string
}

variable "secret_arns" {
  description = "The application's secrets (secrets module)."
  type        = list(string)
}

variable "secrets_kms_key_arn" {
  description = "KMS key of the application's secrets."
  type        = string
}

variable "database_secret_arn" {
  description = "The RDS-managed master secret, injected as DATABASE_PASSWORD."
  type        = string
}

variable "database_kms_key_arn" {
  description = "KMS key of the RDS-managed master secret."
  type        = string
}
