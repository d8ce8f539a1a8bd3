output "cluster_name" {
  description = "The ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "ecr_repository_url" {
  description = "Push images here (docker push <url>:<tag>)."
  value       = aws_ecr_repository.app.repository_url
}

output "web_service_name" {
  description = "The web service."
  value       = aws_ecs_service.web.name
}

output "worker_service_name" {
  description = "The worker service."
  value       = aws_ecs_service.worker.name
}

output "beat_service_name" {
  description = "The beat service."
  value       = aws_ecs_service.beat.name
}

output "web_task_definition_arn" {
  description = "The web task definition (run it with command [\"manage\", ...] for one-off commands)."
  value       = aws_ecs_task_definition.web.arn
}

output "log_group_name" {
  description = "CloudWatch log group of every container."
  value       = aws_cloudwatch_log_group.app.name
}
