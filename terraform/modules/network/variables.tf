variable "name" {
  description = "Prefix of every resource's name, e.g. \"oae-prod\"."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's address range (a /16 is split into /20 subnets)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones to spread over (2 or 3; Multi-AZ RDS needs at least 2)."
  type        = number
  default     = 2
  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (cheaper) instead of one per zone (survives a zone's loss)."
  type        = bool
  default     = false
}

variable "app_port" {
  description = "The port the web tasks' nginx listens on (NGINX_LISTEN)."
  type        = number
  default     = 8080
}

variable "live_port" {
  description = "The port the live channel's tasks (uvicorn, WebSockets under /ws/) listen on."
  type        = number
  default     = 8001
}
