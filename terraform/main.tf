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
locals {
  clusters = {
    primary = {
      endpoint = module.primary.cluster_endpoint
      ca       = module.primary.cluster_certificate_authority_data
      name     = module.primary.cluster_name
      region   = var.primary_region
    }
    secondary = {
      endpoint = try(module.secondary[0].cluster_endpoint, "")
      ca       = try(module.secondary[0].cluster_certificate_authority_data, "")
      name     = try(module.secondary[0].cluster_name, "")
      region   = var.secondary_region
    }
  }
  token_args = { for k, c in local.clusters : k => ["eks", "get-token", "--cluster-name", c.name, "--region", c.region] }
  kubeconfig = { for k, c in local.clusters : k => yamlencode({
    apiVersion        = "v1"
    kind              = "Config"
    clusters          = [{ name = k, cluster = { server = c.endpoint, "certificate-authority-data" = c.ca } }]
    users             = [{ name = k, user = { exec = { apiVersion = "client.authentication.k8s.io/v1beta1", command = "aws", args = local.token_args[k] } } }]
    contexts          = [{ name = k, context = { cluster = k, user = k } }]
    "current-context" = k
  }) }
}

provider "helm" {
  kubernetes {
    host                   = local.clusters.primary.endpoint
    cluster_ca_certificate = base64decode(local.clusters.primary.ca)
    exec {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = local.token_args.primary
    }
  }
}

provider "helm" {
  alias = "secondary"
  kubernetes {
    host                   = local.clusters.secondary.endpoint
    cluster_ca_certificate = try(base64decode(local.clusters.secondary.ca), "")
    exec {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = local.token_args.secondary
    }
  }
}

provider "kustomization" {
  kubeconfig_raw = local.kubeconfig.primary
}

provider "kustomization" {
  alias          = "secondary"
  kubeconfig_raw = local.kubeconfig.secondary
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
