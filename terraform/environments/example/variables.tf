variable "region" {
  description = "AWS region of the whole environment."
  type        = string
  default     = "eu-west-2"
}

variable "environment" {
  description = "Short name of the environment (resources are named oae-<environment>)."
  type        = string
  default     = "example"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.environment))
    error_message = "Use lowercase letters, digits and dashes (at most 21 characters)."
  }
}

variable "platform_domain" {
  description = "PLATFORM_DOMAIN: the platform site's host; institutions are <slug>.<platform_domain>."
  type        = string
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone that holds platform_domain."
  type        = string
}

variable "bucket_name" {
  description = "Globally unique name of the blob bucket."
  type        = string
}

variable "image_tag" {
  description = "Tag of the image to run from the environment's ECR repository (e.g. the git commit)."
  type        = string
}

variable "email_host" {
  description = "SMTP server (e.g. email-smtp.eu-west-2.amazonaws.com for Amazon SES)."
  type        = string
}

variable "email_user" {
  description = "SMTP user name (the password goes into the smtp-password secret)."
  type        = string
  default     = ""
}

variable "alarm_emails" {
  description = "Who receives the CloudWatch alarms."
  type        = list(string)
  default     = []
}

variable "vpc_cidr_block" {
  description = "The VPC's address range."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones (2 or 3)."
  type        = number
  default     = 2
}

variable "single_nat_gateway" {
  description = "One NAT gateway instead of one per zone (cheaper, less resilient)."
  type        = bool
  default     = false
}

variable "database_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.m6g.large"
}

variable "cache_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.t4g.medium"
}

variable "web_min_count" {
  description = "Fewest web tasks."
  type        = number
  default     = 2
}

variable "web_max_count" {
  description = "Most web tasks."
  type        = number
  default     = 10
}

variable "worker_min_count" {
  description = "Fewest worker tasks."
  type        = number
  default     = 1
}

variable "worker_max_count" {
  description = "Most worker tasks."
  type        = number
  default     = 6
}

variable "custom_domain_certificate_arns" {
  description = "ACM certificates of institutions' custom domains."
  type        = list(string)
  default     = []
}

variable "extra_environment" {
  description = "More environment variables for every container (e.g. SENTRY_DSN)."
  type        = map(string)
  default     = {}
}

variable "deletion_protection" {
  description = "Protect the database and the load balancer from deletion."
  type        = bool
  default     = true
}
