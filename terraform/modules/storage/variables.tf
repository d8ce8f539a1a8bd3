variable "bucket_name" {
  description = "Globally unique name of the blob bucket (S3_BUCKET)."
  type        = string
}

variable "abort_multipart_days" {
  description = "Days after which an unfinished multipart upload's parts are deleted."
  type        = number
  default     = 2
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object's previous version is kept."
  type        = number
  default     = 30
}
