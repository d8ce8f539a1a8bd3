output "alb_dns_name" {
  description = "The load balancer's host name (custom domains CNAME to it)."
  value       = aws_lb.this.dns_name
}

output "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (CloudWatch dimension)."
  value       = aws_lb.this.arn_suffix
}

output "target_group_arn" {
  description = "Target group of the web service."
  value       = aws_lb_target_group.web.arn
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group (CloudWatch dimension)."
  value       = aws_lb_target_group.web.arn_suffix
}

output "certificate_arn" {
  description = "The validated wildcard certificate."
  value       = aws_acm_certificate_validation.platform.certificate_arn
}

output "live_target_group_arn" {
  description = "Target group of the live channel's service (WebSockets under /ws/)."
  value       = aws_lb_target_group.live.arn
}
