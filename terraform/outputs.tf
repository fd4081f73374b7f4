output "primary" {
  description = "The primary region's cluster, Kafka and buckets."
  value = {
    cluster_name      = module.primary.cluster_name
    kubeconfig        = "aws eks update-kubeconfig --region ${var.primary_region} --name ${module.primary.cluster_name}"
    bootstrap_servers = module.primary.msk_bootstrap_brokers_sasl_scram
    flink_bucket      = module.primary.flink_bucket
    models_bucket     = module.primary.models_bucket
  }
}

output "secondary" {
  description = "The standby region's, when there is one."
  value = local.multi_region ? {
    cluster_name      = module.secondary[0].cluster_name
    kubeconfig        = "aws eks update-kubeconfig --region ${var.secondary_region} --name ${module.secondary[0].cluster_name}"
    bootstrap_servers = module.secondary[0].msk_bootstrap_brokers_sasl_scram
    flink_bucket      = module.secondary[0].flink_bucket
    models_bucket     = module.secondary[0].models_bucket
  } : null
}

# For applying deploy/k8s/overlays/cloud by hand (kubectl apply -k) instead of through terraform.
output "kustomize_cluster_env" {
  description = "deploy/k8s/overlays/cloud/cluster.env for the primary region."
  value = join("\n", [
    "TIDELINE_KAFKA_BOOTSTRAP_SERVERS=${module.primary.msk_bootstrap_brokers_sasl_scram}",
    "TIDELINE_KAFKA_CLIENT_SECURITY_PROTOCOL=SASL_SSL",
    "TIDELINE_KAFKA_CLIENT_SASL_MECHANISM=SCRAM-SHA-512",
    "TIDELINE_REGISTRY_URL=${var.registry_url}",
    "TIDELINE_TOPICS_PARTITIONS=${var.topic_partitions}",
    "TIDELINE_TOPICS_REPLICATION_FACTOR=3",
    "",
  ])
}

output "kustomize_aws_env" {
  description = "deploy/k8s/overlays/cloud/aws.env for the primary region."
  value = join("\n", [
    "FLINK_BUCKET=${module.primary.flink_bucket}",
    "FLINK_ROLE_ARN=${module.primary.flink_role_arn}",
    "",
  ])
}
