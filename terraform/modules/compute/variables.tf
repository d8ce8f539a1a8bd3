variable "name" {
  description = "Name of the cluster, the ECR repository and prefix of the task families."
  type        = string
}

variable "image_tag" {
  description = "Tag of the image in the ECR repository to run (e.g. the git commit)."
  type        = string
}

variable "images_to_keep" {
  description = "Images the ECR repository keeps (older ones expire)."
  type        = number
  default     = 50
}

variable "platform_domain" {
  description = "PLATFORM_DOMAIN: institutions live at <slug>.<platform_domain>."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the tasks."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the tasks."
  type        = string
}

variable "vpc_cidr_block" {
  description = "The VPC's range: nginx trusts the load balancer's X-Forwarded-For from it."
  type        = string
}

variable "app_port" {
  description = "Port of the web task's nginx (the load balancer's target)."
  type        = number
  default     = 8080
}

variable "target_group_arn" {
  description = "The load balancer's target group for the web service."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the target group (for request-count autoscaling)."
  type        = string
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (for request-count autoscaling)."
  type        = string
}

variable "execution_role_arn" {
  description = "Role ECS starts the tasks with (iam module)."
  type        = string
}

variable "task_role_arn" {
  description = "Role the application runs as (iam module)."
  type        = string
}

variable "bucket_name" {
  description = "S3_BUCKET."
  type        = string
}

variable "bucket_region" {
  description = "S3_REGION."
  type        = string
}

variable "database_host" {
  description = "DATABASE_HOST (the entrypoint builds DATABASE_URL from the DATABASE_* variables)."
  type        = string
}

variable "database_port" {
  description = "DATABASE_PORT."
  type        = number
  default     = 5432
}

variable "database_name" {
  description = "DATABASE_NAME."
  type        = string
}

variable "database_user" {
  description = "DATABASE_USER."
  type        = string
}

variable "database_secret_arn" {
  description = "RDS-managed master secret; its password key becomes DATABASE_PASSWORD."
  type        = string
}

variable "redis_host" {
  description = "REDIS_HOST (the entrypoint builds REDIS_URL, rediss:// with the AUTH token)."
  type        = string
}

variable "redis_port" {
  description = "REDIS_PORT."
  type        = number
  default     = 6379
}

variable "django_secret_key_arn" {
  description = "Secret injected as SECRET_KEY."
  type        = string
}

variable "redis_auth_token_arn" {
  description = "Secret injected as REDIS_AUTH_TOKEN."
  type        = string
}

variable "smtp_password_arn" {
  description = "Secret injected as EMAIL_HOST_PASSWORD."
  type        = string
}

variable "email_host" {
  description = "EMAIL_HOST: the SMTP server (e.g. email-smtp.<region>.amazonaws.com)."
  type        = string
}

variable "email_port" {
  description = "EMAIL_PORT."
  type        = number
  default     = 587
}

variable "email_user" {
  description = "EMAIL_HOST_USER."
  type        = string
  default     = ""
}

variable "extra_environment" {
  description = "More environment variables for every container (e.g. SENTRY_DSN, GUNICORN_WORKERS); see the README's Configuration."
  type        = map(string)
  default     = {}
}

variable "web_cpu" {
  description = "CPU units of a web task (1024 = one vCPU), shared by gunicorn and nginx."
  type        = number
  default     = 1024
}

variable "web_memory" {
  description = "Memory (MiB) of a web task."
  type        = number
  default     = 2048
}

variable "web_min_count" {
  description = "Fewest web tasks (2 or more: one per zone)."
  type        = number
  default     = 2
}

variable "web_max_count" {
  description = "Most web tasks autoscaling may run."
  type        = number
  default     = 10
}

variable "requests_per_target" {
  description = "Requests per minute per web task above which autoscaling adds tasks."
  type        = number
  default     = 6000
}

variable "worker_cpu" {
  description = "CPU units of a worker task."
  type        = number
  default     = 1024
}

variable "worker_memory" {
  description = "Memory (MiB) of a worker task."
  type        = number
  default     = 2048
}

variable "worker_min_count" {
  description = "Fewest worker tasks."
  type        = number
  default     = 1
}

variable "worker_max_count" {
  description = "Most worker tasks autoscaling may run."
  type        = number
  default     = 6
}

variable "cpu_target_percent" {
  description = "Average CPU autoscaling keeps web and worker services at."
  type        = number
  default     = 60
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the containers' logs."
  type        = number
  default     = 30
}

variable "live_port" {
  description = "The port the live channel's tasks (uvicorn, WebSockets under /ws/) listen on."
  type        = number
  default     = 8001
}

variable "live_target_group_arn" {
  description = "Target group of the live channel's service (from the edge module)."
  type        = string
}

variable "live_cpu" {
  description = "CPU units of a live-channel task."
  type        = number
  default     = 256
}

variable "live_memory" {
  description = "Memory (MiB) of a live-channel task (idle connections cost little each; see the README's figures)."
  type        = number
  default     = 512
}

variable "live_count" {
  description = "Live-channel tasks to run."
  type        = number
  default     = 2
}
