variable "name" {
  description = "Name of the load balancer and prefix of its target group."
  type        = string
}

variable "platform_domain" {
  description = "The platform's domain (apex: the platform site; *.domain: institutions)."
  type        = string
}

variable "zone_id" {
  description = "Route 53 hosted zone of platform_domain (records and certificate validation go there)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC of the target group."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets of the load balancer."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the load balancer."
  type        = string
}

variable "app_port" {
  description = "Port of the web tasks' nginx."
  type        = number
  default     = 8080
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener (TLS 1.2+)."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "idle_timeout_seconds" {
  description = "Idle connection timeout; nginx keeps connections longer (NGINX_KEEPALIVE_TIMEOUT 75s), avoiding 502s."
  type        = number
  default     = 60
}

variable "custom_domain_certificate_arns" {
  description = "ACM certificates of institutions' custom domains, served by the HTTPS listener (SNI)."
  type        = list(string)
  default     = []
}

variable "access_logs_bucket" {
  description = "S3 bucket for the load balancer's access logs (empty: none)."
  type        = string
  default     = ""
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer."
  type        = bool
  default     = true
}

variable "live_port" {
  description = "The port the live channel's tasks (uvicorn, WebSockets under /ws/) listen on."
  type        = number
  default     = 8001
}
