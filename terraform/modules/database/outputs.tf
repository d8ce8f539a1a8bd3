output "address" {
  description = "Host name of the instance (DATABASE_HOST)."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the instance (DATABASE_PORT)."
  value       = aws_db_instance.this.port
}

output "database_name" {
  description = "Name of the database (DATABASE_NAME)."
  value       = aws_db_instance.this.db_name
}

output "username" {
  description = "The master user (DATABASE_USER)."
  value       = aws_db_instance.this.username
}

output "master_secret_arn" {
  description = "Secrets Manager secret (JSON with username and password) that RDS manages."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "kms_key_arn" {
  description = "KMS key of the storage and of the master secret."
  value       = aws_kms_key.database.arn
}

output "instance_identifier" {
  description = "The instance's identifier (for CloudWatch alarms)."
  value       = aws_db_instance.this.identifier
}

output "allocated_storage_gb" {
  description = "Allocated storage in GB."
  value       = aws_db_instance.this.allocated_storage
}

output "proxy_endpoint" {
  description = "Host name of the RDS Proxy (web and worker DATABASE_URL, with DATABASE_POOLING=transaction); empty without proxy_enabled."
  value       = var.proxy_enabled ? aws_db_proxy.this[0].endpoint : ""
}
