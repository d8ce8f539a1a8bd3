variable "name" {
  description = "Prefix of the secrets' names, e.g. \"oae-prod\" (secrets are <name>/<secret>)."
  type        = string
}

variable "recovery_window_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once)."
  type        = number
  default     = 7
}
