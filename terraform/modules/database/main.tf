# RDS PostgreSQL 15: Multi-AZ, encrypted with its own KMS key, point-in-time recovery
# (automated backups), TLS required, and a master password that RDS itself keeps (and
# rotates) in Secrets Manager - it never appears in Terraform's state.

resource "aws_kms_key" "database" {
  description             = "${var.name} RDS storage, snapshots and master secret"
  enable_key_rotation     = true
  deletion_window_in_days = 30
}

resource "aws_kms_alias" "database" {
  name          = "alias/${var.name}-database"
  target_key_id = aws_kms_key.database.key_id
}

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
}

resource "aws_db_parameter_group" "this" {
  name        = "${var.name}-postgres15"
  family      = "postgres15"
  description = "OAE: TLS only, slow-query and lock logging, locks for schemas, no JIT"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  parameter {
    name  = "log_min_duration_statement"
    value = tostring(var.log_min_duration_ms)
  }
  parameter {
    name  = "log_lock_waits"
    value = "1"
  }
  parameter {
    # Many schemas (one per institution) mean many small tables: more autovacuum workers.
    name  = "autovacuum_max_workers"
    value = "5"
    # Static parameter: applied at the next reboot.
    apply_method = "pending-reboot"
  }
  parameter {
    name  = "idle_in_transaction_session_timeout"
    value = "60000"
  }
  parameter {
    # A new institution's schema is made in one transaction holding a lock per table,
    # index and sequence (about a thousand); the default table (64 x connections)
    # overflows ("out of shared memory") when several are made at once.
    name         = "max_locks_per_transaction"
    value        = tostring(var.max_locks_per_transaction)
    apply_method = "pending-reboot"
  }
  parameter {
    # JIT compiling a plan cost 50 ms on 0.2 ms queries; the application also asks for
    # it off per connection (DATABASE_JIT), which PgBouncer and RDS Proxy can drop.
    name  = "jit"
    value = "0"
  }
}

resource "aws_db_instance" "this" {
  identifier     = var.name
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  db_name                       = var.database_name
  username                      = var.master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.database.arn

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.database.arn

  multi_az               = var.multi_az
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [var.security_group_id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this.name

  # Point-in-time recovery: automated backups and transaction logs for this many days.
  backup_retention_period  = var.backup_retention_days
  backup_window            = "02:00-03:00"
  maintenance_window       = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot    = true
  delete_automated_backups = false

  auto_minor_version_upgrade      = true
  deletion_protection             = var.deletion_protection
  skip_final_snapshot             = false
  final_snapshot_identifier       = "${var.name}-final"
  performance_insights_enabled    = true
  performance_insights_kms_key_id = aws_kms_key.database.arn
  enabled_cloudwatch_logs_exports = ["postgresql"]
}

# --- RDS Proxy (optional): connection pooling for thousands of task threads ----------------
# The application sends the search path with every statement (SET LOCAL, never a session
# SET), so the proxy multiplexes without pinning; see README "Connection pooling".
data "aws_iam_policy_document" "proxy_assume" {
  count = var.proxy_enabled ? 1 : 0
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["rds.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "proxy_secret" {
  count = var.proxy_enabled ? 1 : 0
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_db_instance.this.master_user_secret[0].secret_arn]
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.database.arn]
  }
}

resource "aws_iam_role" "proxy" {
  count              = var.proxy_enabled ? 1 : 0
  name               = "${var.name}-rds-proxy"
  assume_role_policy = data.aws_iam_policy_document.proxy_assume[0].json
}

resource "aws_iam_role_policy" "proxy" {
  count  = var.proxy_enabled ? 1 : 0
  name   = "read-master-secret"
  role   = aws_iam_role.proxy[0].id
  policy = data.aws_iam_policy_document.proxy_secret[0].json
}

resource "aws_db_proxy" "this" {
  count                  = var.proxy_enabled ? 1 : 0
  name                   = var.name
  engine_family          = "POSTGRESQL"
  role_arn               = aws_iam_role.proxy[0].arn
  vpc_subnet_ids         = var.subnet_ids
  vpc_security_group_ids = [var.security_group_id]
  require_tls            = true
  idle_client_timeout    = 1800

  auth {
    auth_scheme = "SECRETS"
    iam_auth    = "DISABLED"
    secret_arn  = aws_db_instance.this.master_user_secret[0].secret_arn
  }
}

resource "aws_db_proxy_default_target_group" "this" {
  count         = var.proxy_enabled ? 1 : 0
  db_proxy_name = aws_db_proxy.this[0].name

  connection_pool_config {
    max_connections_percent      = 90
    max_idle_connections_percent = 50
    connection_borrow_timeout    = 30
  }
}

resource "aws_db_proxy_target" "this" {
  count                  = var.proxy_enabled ? 1 : 0
  db_proxy_name          = aws_db_proxy.this[0].name
  target_group_name      = aws_db_proxy_default_target_group.this[0].name
  db_instance_identifier = aws_db_instance.this.identifier
}
