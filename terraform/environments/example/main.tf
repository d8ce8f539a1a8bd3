# An example environment: the whole platform in one AWS region. Copy this directory
# (environments/<yours>), set its variables in terraform.tfvars and, for real use, give it
# a remote state backend (backend.tf.example). See the README's "Deploying to AWS".

terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      Project     = "oae"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

locals {
  name = "oae-${var.environment}"
}

module "network" {
  source             = "../../modules/network"
  name               = local.name
  cidr_block         = var.vpc_cidr_block
  az_count           = var.az_count
  single_nat_gateway = var.single_nat_gateway
}

module "secrets" {
  source = "../../modules/secrets"
  name   = local.name
}

module "database" {
  source              = "../../modules/database"
  name                = local.name
  subnet_ids          = module.network.private_subnet_ids
  security_group_id   = module.network.database_security_group_id
  instance_class      = var.database_instance_class
  multi_az            = true
  deletion_protection = var.deletion_protection
}

module "storage" {
  source      = "../../modules/storage"
  bucket_name = var.bucket_name
}

module "cache" {
  source            = "../../modules/cache"
  name              = local.name
  subnet_ids        = module.network.private_subnet_ids
  security_group_id = module.network.cache_security_group_id
  auth_token        = module.secrets.redis_auth_token
  node_type         = var.cache_node_type
}

module "iam" {
  source               = "../../modules/iam"
  name                 = local.name
  bucket_arn           = module.storage.bucket_arn
  bucket_kms_key_arn   = module.storage.kms_key_arn
  secret_arns          = module.secrets.secret_arns
  secrets_kms_key_arn  = module.secrets.kms_key_arn
  database_secret_arn  = module.database.master_secret_arn
  database_kms_key_arn = module.database.kms_key_arn
}

module "edge" {
  source                         = "../../modules/edge"
  name                           = local.name
  platform_domain                = var.platform_domain
  zone_id                        = var.route53_zone_id
  vpc_id                         = module.network.vpc_id
  public_subnet_ids              = module.network.public_subnet_ids
  security_group_id              = module.network.alb_security_group_id
  custom_domain_certificate_arns = var.custom_domain_certificate_arns
  deletion_protection            = var.deletion_protection
}

module "compute" {
  source                  = "../../modules/compute"
  name                    = local.name
  image_tag               = var.image_tag
  platform_domain         = var.platform_domain
  subnet_ids              = module.network.private_subnet_ids
  security_group_id       = module.network.app_security_group_id
  vpc_cidr_block          = module.network.vpc_cidr_block
  target_group_arn        = module.edge.target_group_arn
  target_group_arn_suffix = module.edge.target_group_arn_suffix
  live_target_group_arn   = module.edge.live_target_group_arn
  alb_arn_suffix          = module.edge.alb_arn_suffix
  execution_role_arn      = module.iam.execution_role_arn
  task_role_arn           = module.iam.task_role_arn
  bucket_name             = module.storage.bucket_name
  bucket_region           = module.storage.bucket_region
  database_host           = module.database.address
  database_port           = module.database.port
  database_name           = module.database.database_name
  database_user           = module.database.username
  database_secret_arn     = module.database.master_secret_arn
  redis_host              = module.cache.primary_endpoint
  redis_port              = module.cache.port
  django_secret_key_arn   = module.secrets.django_secret_key_arn
  redis_auth_token_arn    = module.secrets.redis_auth_token_arn
  smtp_password_arn       = module.secrets.smtp_password_arn
  email_host              = var.email_host
  email_user              = var.email_user
  web_min_count           = var.web_min_count
  web_max_count           = var.web_max_count
  worker_min_count        = var.worker_min_count
  worker_max_count        = var.worker_max_count
  extra_environment       = var.extra_environment
}

module "monitoring" {
  source                       = "../../modules/monitoring"
  name                         = local.name
  alarm_emails                 = var.alarm_emails
  alb_arn_suffix               = module.edge.alb_arn_suffix
  target_group_arn_suffix      = module.edge.target_group_arn_suffix
  database_instance_identifier = module.database.instance_identifier
  cache_replication_group_id   = module.cache.replication_group_id
}
