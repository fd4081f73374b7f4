variable "name" {
  description = "Prefix of every resource's name (and of the S3 buckets', with the account id)."
  type        = string
  default     = "tideline-prod"
}

variable "primary_region" {
  description = "The region that takes producers' traffic and trains the model."
  type        = string
  default     = "eu-west-1"
}

variable "secondary_region" {
  description = "The standby region: serving on replicated topics, and the failover target. Empty for one region."
  type        = string
  default     = "eu-central-1"
}

variable "vpc_cidrs" {
  description = "CIDR of each region's VPC, primary first; they must not overlap (MSK Replicator needs no peering, a failover might)."
  type        = list(string)
  default     = ["10.20.0.0/16", "10.21.0.0/16"]
}

variable "kubernetes_version" {
  description = "EKS version."
  type        = string
  default     = "1.33"
}

variable "cpu_nodes" {
  description = "The CPU node group: instance type and size. Feature stage, Connect, Flink and the operators run here."
  type = object({
    instance_type = string
    min           = number
    desired       = number
    max           = number
  })
  default = {
    instance_type = "m6i.2xlarge"
    min           = 3
    desired       = 3
    max           = 9
  }
}

variable "gpu_nodes" {
  description = "The GPU node group for the scoring replicas' CUDA image (tainted nvidia.com/gpu)."
  type = object({
    instance_type = string
    min           = number
    desired       = number
    max           = number
  })
  default = {
    instance_type = "g5.xlarge"
    min           = 1
    desired       = 2
    max           = 6
  }
}

variable "msk" {
  description = "The MSK cluster: one broker per availability zone times broker_multiple, TLS and SASL/SCRAM."
  type = object({
    kafka_version   = string
    instance_type   = string
    broker_multiple = number
    volume_gib      = number
  })
  default = {
    kafka_version   = "3.9.x"
    instance_type   = "kafka.m7g.large"
    broker_multiple = 1
    volume_gib      = 500
  }
}

variable "topic_partitions" {
  description = "tideline.topics.partitions: the fixed unit of parallelism of every keyed topic (README, Scaling out)."
  type        = number
  default     = 24
}

variable "replicated_topics" {
  description = "Topics MSK Replicator copies from the primary region to the secondary: the input and the models (the secondary's feature stage and serving run on them)."
  type        = list(string)
  default     = ["payments.transactions.v1", "models.v1", "cdc.accounts", "cdc.labels"]
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default = {
    project = "tideline"
  }
}

variable "registry_url" {
  description = "tideline.registry.url: a schema registry with the Confluent API that both regions reach (Tideline does not create one)."
  type        = string
}

variable "source_database" {
  description = "The PostgreSQL database CDC reads accounts and chargebacks from (logical decoding on; Tideline's migrations create its tables and publications)."
  type = object({
    host     = string
    port     = number
    dbname   = string
    user     = string
    password = string
  })
  sensitive = true
}
