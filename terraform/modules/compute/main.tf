# ECS on Fargate: one image (ECR), three services.
#  - web: nginx (the load balancer's target, port app_port) in front of gunicorn on
#    127.0.0.1:8000 in the same task; scales on CPU and on requests per target.
#  - worker: Celery workers; scale on CPU.
#  - beat: exactly one Celery beat (a deployment stops the old one before starting the new).
# Every web task runs migrate_tenants once per deploy before gunicorn starts
# (deploy/migrate_once.py: an advisory lock lets one task migrate, the others wait).

data "aws_region" "current" {}

resource "aws_ecr_repository" "app" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"
  image_scanning_configuration {
    scan_on_push = true
  }
}

resource "aws_ecr_lifecycle_policy" "app" {
  repository = aws_ecr_repository.app.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "keep the last ${var.images_to_keep} images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = var.images_to_keep
      }
      action = { type = "expire" }
    }]
  })
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_ecs_cluster" "this" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

locals {
  image = "${aws_ecr_repository.app.repository_url}:${var.image_tag}"

  environment = [for key, value in merge({
    OAE_ENV             = "production"
    PLATFORM_DOMAIN     = var.platform_domain
    S3_BUCKET           = var.bucket_name
    S3_REGION           = var.bucket_region
    DATABASE_HOST       = var.database_host
    DATABASE_PORT       = tostring(var.database_port)
    DATABASE_NAME       = var.database_name
    DATABASE_USER       = var.database_user
    DATABASE_SSLMODE    = "require"
    REDIS_HOST          = var.redis_host
    REDIS_PORT          = tostring(var.redis_port)
    EMAIL_HOST          = var.email_host
    EMAIL_PORT          = tostring(var.email_port)
    EMAIL_HOST_USER     = var.email_user
    EMAIL_USE_TLS       = "true"
    DEFAULT_FROM_EMAIL  = "no-reply@${var.platform_domain}"
    FORWARDED_ALLOW_IPS = "127.0.0.1"
    NGINX_LISTEN        = tostring(var.app_port)
    NGINX_REAL_IP_FROM  = var.vpc_cidr_block
    LOG_FORMAT          = "json"
  }, var.extra_environment) : { name = key, value = value }]

  secrets = [
    { name = "SECRET_KEY", valueFrom = var.django_secret_key_arn },
    { name = "REDIS_AUTH_TOKEN", valueFrom = var.redis_auth_token_arn },
    { name = "EMAIL_HOST_PASSWORD", valueFrom = var.smtp_password_arn },
    # The RDS-managed secret is JSON: take its "password" key.
    { name = "DATABASE_PASSWORD", valueFrom = "${var.database_secret_arn}:password::" },
  ]

  # Containers write only to /tmp (nginx's buffers, celery beat's schedule).
  tmp_volume = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]

  logging = {
    for role in ["web", "nginx", "worker", "beat", "live"] : role => {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = role
      }
    }
  }

  app_container = {
    image                  = local.image
    essential              = true
    environment            = local.environment
    secrets                = local.secrets
    readonlyRootFilesystem = true
    mountPoints            = local.tmp_volume
  }
}

# --- web ------------------------------------------------------------------------
resource "aws_ecs_task_definition" "web" {
  family                   = "${var.name}-web"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.web_cpu
  memory                   = var.web_memory
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([
    merge(local.app_container, {
      name             = "web"
      command          = ["web"]
      logConfiguration = local.logging["web"]
      healthCheck = {
        command = ["CMD", "python", "-c",
        "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/__lbheartbeat__', timeout=3)"]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 300 # migrations run first on a deploy
      }
    }),
    merge(local.app_container, {
      name             = "nginx"
      command          = ["nginx"]
      logConfiguration = local.logging["nginx"]
      portMappings     = [{ containerPort = var.app_port, protocol = "tcp" }]
      dependsOn        = [{ containerName = "web", condition = "HEALTHY" }]
    }),
  ])
}

resource "aws_ecs_service" "web" {
  name                              = "web"
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.web.arn
  desired_count                     = var.web_min_count
  launch_type                       = "FARGATE"
  health_check_grace_period_seconds = 600
  propagate_tags                    = "SERVICE"
  enable_ecs_managed_tags           = true

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = "nginx"
    container_port   = var.app_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [desired_count] # autoscaling owns it
  }
}

resource "aws_appautoscaling_target" "web" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.web.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.web_min_count
  max_capacity       = var.web_max_count
}

resource "aws_appautoscaling_policy" "web_cpu" {
  name               = "${var.name}-web-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.web.service_namespace
  resource_id        = aws_appautoscaling_target.web.resource_id
  scalable_dimension = aws_appautoscaling_target.web.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "web_requests" {
  name               = "${var.name}-web-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.web.service_namespace
  resource_id        = aws_appautoscaling_target.web.resource_id
  scalable_dimension = aws_appautoscaling_target.web.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${var.alb_arn_suffix}/${var.target_group_arn_suffix}"
    }
  }
}

# --- worker ---------------------------------------------------------------------
# --- live channel (uvicorn: WebSockets under /ws/, straight from the load balancer) ---
resource "aws_ecs_task_definition" "live" {
  family                   = "${var.name}-live"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.live_cpu
  memory                   = var.live_memory
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([
    merge(local.app_container, {
      name             = "live"
      command          = ["live"]
      logConfiguration = local.logging["live"]
      portMappings     = [{ containerPort = var.live_port, protocol = "tcp" }]
      environment      = concat(local.environment, [{ name = "LIVE_PORT", value = tostring(var.live_port) }])
      stopTimeout      = 30
    }),
  ])
}

resource "aws_ecs_service" "live" {
  name                              = "live"
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.live.arn
  desired_count                     = var.live_count
  launch_type                       = "FARGATE"
  health_check_grace_period_seconds = 60
  propagate_tags                    = "SERVICE"
  enable_ecs_managed_tags           = true

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.live_target_group_arn
    container_name   = "live"
    container_port   = var.live_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
}

resource "aws_ecs_task_definition" "worker" {
  family                   = "${var.name}-worker"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.worker_cpu
  memory                   = var.worker_memory
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([
    merge(local.app_container, {
      name             = "worker"
      command          = ["worker"]
      logConfiguration = local.logging["worker"]
      stopTimeout      = 120 # let running tasks finish
    }),
  ])
}

# A worker task that stops (killed, out of memory, a crash on a lost broker) is replaced
# by the ECS service scheduler to keep desired_count running; the work it held is not lost
# (late acks, the pending state in the database and the content.sweep beat task).
resource "aws_ecs_service" "worker" {
  name                    = "worker"
  cluster                 = aws_ecs_cluster.this.id
  task_definition         = aws_ecs_task_definition.worker.arn
  desired_count           = var.worker_min_count
  launch_type             = "FARGATE"
  propagate_tags          = "SERVICE"
  enable_ecs_managed_tags = true

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [desired_count]
  }
}

resource "aws_appautoscaling_target" "worker" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.worker.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.worker_min_count
  max_capacity       = var.worker_max_count
}

resource "aws_appautoscaling_policy" "worker_cpu" {
  name               = "${var.name}-worker-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

# --- beat -----------------------------------------------------------------------
resource "aws_ecs_task_definition" "beat" {
  family                   = "${var.name}-beat"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([
    merge(local.app_container, {
      name             = "beat"
      command          = ["beat"]
      logConfiguration = local.logging["beat"]
    }),
  ])
}

resource "aws_ecs_service" "beat" {
  name            = "beat"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.beat.arn
  desired_count   = 1
  launch_type     = "FARGATE"
  # Never two beats at once (each would schedule every periodic task).
  deployment_maximum_percent         = 100
  deployment_minimum_healthy_percent = 0
  propagate_tags                     = "SERVICE"
  enable_ecs_managed_tags            = true

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }
}
