output "cluster_name" {
  value = module.eks.cluster_name
}

output "cluster_endpoint" {
  value = module.eks.cluster_endpoint
}

output "cluster_certificate_authority_data" {
  value = module.eks.cluster_certificate_authority_data
}

output "msk_arn" {
  value = module.msk.arn
}

output "msk_bootstrap_brokers_sasl_scram" {
  value = module.msk.bootstrap_brokers_sasl_scram
}

output "msk_security_group_id" {
  value = aws_security_group.msk.id
}

output "private_subnets" {
  value = module.vpc.private_subnets
}

output "flink_bucket" {
  value = module.flink_bucket.s3_bucket_id
}

output "models_bucket" {
  value = module.models_bucket.s3_bucket_id
}

output "flink_role_arn" {
  value = module.flink_irsa.iam_role_arn
}
