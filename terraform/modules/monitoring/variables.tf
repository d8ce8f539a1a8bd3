variable "name" {
  description = "Prefix of the alarms and the SNS topic."
  type        = string
}

variable "alarm_emails" {
  description = "Addresses the alarms are e-mailed to (each must confirm the subscription)."
  type        = list(string)
  default     = []
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the web target group."
  type        = string
}

variable "database_instance_identifier" {
  description = "The RDS instance."
  type        = string
}

variable "cache_replication_group_id" {
  description = "The ElastiCache replication group."
  type        = string
}

variable "max_5xx_per_5min" {
  description = "5xx answers in 5 minutes above which the 5xx alarms fire."
  type        = number
  default     = 10
}

variable "p99_latency_seconds" {
  description = "p99 target response time (seconds) above which the latency alarm fires."
  type        = number
  default     = 1.5
}

variable "database_cpu_percent" {
  description = "Database CPU (%) above which the alarm fires."
  type        = number
  default     = 80
}

variable "database_free_storage_gb" {
  description = "Free database storage (GB) below which the alarm fires."
  type        = number
  default     = 10
}
