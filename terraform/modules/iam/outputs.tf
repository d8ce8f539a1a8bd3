output "execution_role_arn" {
  description = "Role ECS uses to start tasks (image pull, logs, secret injection)."
  value       = aws_iam_role.execution.arn
}

output "task_role_arn" {
  description = "Role the application runs as (its bucket prefix and secrets only)."
  value       = aws_iam_role.task.arn
}
