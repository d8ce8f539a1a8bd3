output "bucket_name" {
  description = "The bucket's name (S3_BUCKET)."
  value       = aws_s3_bucket.blobs.bucket
}

output "bucket_arn" {
  description = "The bucket's ARN."
  value       = aws_s3_bucket.blobs.arn
}

output "bucket_region" {
  description = "The bucket's region (S3_REGION)."
  value       = aws_s3_bucket.blobs.region
}

output "kms_key_arn" {
  description = "The KMS key objects are encrypted with (the task role may use it)."
  value       = aws_kms_key.bucket.arn
}
