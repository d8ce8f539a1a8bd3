variable "name" {
  description = "Replication group id and prefix of its resources."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets the nodes live in."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group admitting Redis from the tasks only."
  type        = string
}

variable "auth_token" {
  description = "The AUTH token (from the secrets module)."
  type        = string
  sensitive   = true
}

variable "engine_version" {
  description = "Redis engine version."
  type        = string
  default     = "7.1"
}

variable "node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.medium"
}

variable "replicas" {
  description = "Read replicas (1 or more gives automatic failover across zones)."
  type        = number
  default     = 1
}
