# Tideline on AWS: a region module per region (VPC, EKS with CPU and GPU node groups, MSK, S3,
# IAM roles for service accounts, the operators' Helm releases, the kustomize cloud overlay), and
# MSK Replicator copying the input, model and CDC topics from the primary region to the secondary.
locals {
  multi_region = var.secondary_region != ""
  overlay      = abspath("${path.root}/../deploy/k8s/overlays/cloud")
}

provider "aws" {
  region = var.primary_region
  default_tags {
    tags = var.tags
  }
}

provider "aws" {
  alias  = "secondary"
  region = local.multi_region ? var.secondary_region : var.primary_region
  default_tags {
    tags = var.tags
  }
}

# Helm and kustomize reach each region's cluster with a token from the AWS CLI.
provider "helm" {
  kubernetes {
    host                   = module.primary.cluster_endpoint
    cluster_ca_certificate = base64decode(module.primary.cluster_certificate_authority_data)
    exec {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = ["eks", "get-token", "--cluster-name", module.primary.cluster_name, "--region", var.primary_region]
    }
  }
}

provider "helm" {
  alias = "secondary"
  kubernetes {
    host                   = try(module.secondary[0].cluster_endpoint, "")
    cluster_ca_certificate = try(base64decode(module.secondary[0].cluster_certificate_authority_data), "")
    exec {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = ["eks", "get-token", "--cluster-name", try(module.secondary[0].cluster_name, ""), "--region", var.secondary_region]
    }
  }
}

provider "kustomization" {
  kubeconfig_raw = yamlencode({
    apiVersion = "v1"
    kind       = "Config"
    clusters = [{
      name    = "primary"
      cluster = { server = module.primary.cluster_endpoint, "certificate-authority-data" = module.primary.cluster_certificate_authority_data }
    }]
    users = [{
      name = "primary"
      user = { exec = { apiVersion = "client.authentication.k8s.io/v1beta1", command = "aws", args = ["eks", "get-token", "--cluster-name", module.primary.cluster_name, "--region", var.primary_region] } }
    }]
    contexts          = [{ name = "primary", context = { cluster = "primary", user = "primary" } }]
    "current-context" = "primary"
  })
}

provider "kustomization" {
  alias = "secondary"
  kubeconfig_raw = yamlencode({
    apiVersion = "v1"
    kind       = "Config"
    clusters = [{
      name    = "secondary"
      cluster = { server = try(module.secondary[0].cluster_endpoint, ""), "certificate-authority-data" = try(module.secondary[0].cluster_certificate_authority_data, "") }
    }]
    users = [{
      name = "secondary"
      user = { exec = { apiVersion = "client.authentication.k8s.io/v1beta1", command = "aws", args = ["eks", "get-token", "--cluster-name", try(module.secondary[0].cluster_name, ""), "--region", var.secondary_region] } }
    }]
    contexts          = [{ name = "secondary", context = { cluster = "secondary", user = "secondary" } }]
    "current-context" = "secondary"
  })
}

module "primary" {
  source = "./modules/region"

  name               = var.name
  role               = "primary"
  vpc_cidr           = var.vpc_cidrs[0]
  kubernetes_version = var.kubernetes_version
  cpu_nodes          = var.cpu_nodes
  gpu_nodes          = var.gpu_nodes
  msk                = var.msk
  topic_partitions   = var.topic_partitions
  registry_url       = var.registry_url
  source_database    = var.source_database
  overlay_path       = local.overlay
  tags               = var.tags
}

module "secondary" {
  source = "./modules/region"
  count  = local.multi_region ? 1 : 0

  providers = {
    aws           = aws.secondary
    helm          = helm.secondary
    kustomization = kustomization.secondary
  }

  name               = "${var.name}-2"
  role               = "secondary"
  vpc_cidr           = var.vpc_cidrs[1]
  kubernetes_version = var.kubernetes_version
  cpu_nodes          = var.cpu_nodes
  gpu_nodes          = var.gpu_nodes
  msk                = var.msk
  topic_partitions   = var.topic_partitions
  registry_url       = var.registry_url
  source_database    = var.source_database
  overlay_path       = local.overlay
  tags               = var.tags
}
