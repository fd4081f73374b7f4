variable "name" {
  description = "Prefix of the region's resources."
  type        = string
}

variable "role" {
  description = "primary (takes producers' traffic, trains) or secondary (serves replicated topics, failover target)."
  type        = string

  validation {
    condition     = contains(["primary", "secondary"], var.role)
    error_message = "role is primary or secondary."
  }
}

variable "vpc_cidr" {
  type = string
}

variable "kubernetes_version" {
  type = string
}

variable "cpu_nodes" {
  type = object({
    instance_type = string
    min           = number
    desired       = number
    max           = number
  })
}

variable "gpu_nodes" {
  type = object({
    instance_type = string
    min           = number
    desired       = number
    max           = number
  })
}

variable "msk" {
  type = object({
    kafka_version   = string
    instance_type   = string
    broker_multiple = number
    volume_gib      = number
  })
}

variable "topic_partitions" {
  type = number
}

variable "overlay_path" {
  description = "The kustomize cloud overlay (deploy/k8s/overlays/cloud)."
  type        = string
}

variable "tags" {
  type = map(string)
}

variable "registry_url" {
  description = "tideline.registry.url: the schema registry's Confluent API."
  type        = string
}

variable "source_database" {
  description = "The PostgreSQL database CDC reads (accounts, chargebacks); the primary region only."
  type = object({
    host     = string
    port     = number
    dbname   = string
    user     = string
    password = string
  })
  sensitive = true
}
