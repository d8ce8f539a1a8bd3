output "ecr_repository_url" {
  description = "Push the image here, tagged with image_tag."
  value       = module.compute.ecr_repository_url
}

output "cluster_name" {
  description = "The ECS cluster (aws ecs ... --cluster)."
  value       = module.compute.cluster_name
}

output "web_task_definition_arn" {
  description = "Run one-off commands with it (command [\"manage\", \"tenant_list\"])."
  value       = module.compute.web_task_definition_arn
}

output "private_subnet_ids" {
  description = "Subnets for one-off tasks (aws ecs run-task --network-configuration)."
  value       = module.network.private_subnet_ids
}

output "app_security_group_id" {
  description = "Security group for one-off tasks."
  value       = module.network.app_security_group_id
}

output "alb_dns_name" {
  description = "Where custom domains point (CNAME)."
  value       = module.edge.alb_dns_name
}

output "bucket_name" {
  description = "The blob bucket."
  value       = module.storage.bucket_name
}

output "database_address" {
  description = "The database's host name."
  value       = module.database.address
}

output "database_master_secret_arn" {
  description = "Secret with the database's master password (RDS rotates it)."
  value       = module.database.master_secret_arn
}

output "smtp_password_secret_arn" {
  description = "Put the SMTP password here after the first apply."
  value       = module.secrets.smtp_password_arn
}

output "log_group_name" {
  description = "CloudWatch log group of the containers."
  value       = module.compute.log_group_name
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.monitoring.alarm_topic_arn
}
