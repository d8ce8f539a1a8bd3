output "primary_endpoint" {
  description = "Host name of the primary (REDIS_HOST)."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "port" {
  description = "Port (REDIS_PORT)."
  value       = aws_elasticache_replication_group.this.port
}

output "replication_group_id" {
  description = "The replication group's id (for CloudWatch alarms)."
  value       = aws_elasticache_replication_group.this.id
}
