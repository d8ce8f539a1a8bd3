variable "name" {
  description = "Identifier of the instance and prefix of its resources."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets (at least two zones) the instance lives in."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group admitting PostgreSQL from the tasks only."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL version: 15 (the platform's pg_dump is 15), or a 15.x minor."
  type        = string
  default     = "15"
  validation {
    condition     = can(regex("^15(\\.[0-9]+)?$", var.engine_version))
    error_message = "The platform runs on PostgreSQL 15."
  }
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.m6g.large"
}

variable "database_name" {
  description = "The database created on the instance."
  type        = string
  default     = "oae"
}

variable "master_username" {
  description = "The master user (its password is managed by RDS in Secrets Manager)."
  type        = string
  default     = "oae"
}

variable "allocated_storage_gb" {
  description = "Initial storage in GB."
  type        = number
  default     = 100
}

variable "max_allocated_storage_gb" {
  description = "Storage autoscaling ceiling in GB."
  type        = number
  default     = 1000
}

variable "multi_az" {
  description = "A synchronous standby in another zone (fails over automatically)."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days of point-in-time recovery (1-35)."
  type        = number
  default     = 14
  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "Point-in-time recovery needs 1 to 35 days of backups."
  }
}

variable "log_min_duration_ms" {
  description = "Statements slower than this are logged (milliseconds)."
  type        = number
  default     = 500
}

variable "deletion_protection" {
  description = "Refuse to delete the instance (turn off deliberately before destroying)."
  type        = bool
  default     = true
}

variable "proxy_enabled" {
  description = "Put an RDS Proxy (transaction-level connection pooling) in front of the instance. The web and worker tasks then connect to the proxy endpoint with DATABASE_POOLING=transaction; migrations and pg_dump keep connecting to the instance directly (README: Operating the fleet)."
  type        = bool
  default     = false
}

variable "max_locks_per_transaction" {
  description = "PostgreSQL max_locks_per_transaction: at least 256 (creating an institution's schema locks about a thousand objects in one transaction)"
  type        = number
  default     = 256
  validation {
    condition     = var.max_locks_per_transaction >= 256
    error_message = "max_locks_per_transaction must be at least 256."
  }
}
