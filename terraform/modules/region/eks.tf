# EKS with a CPU node group (feature stage, Connect, Flink, the operators) and a GPU node group
# for the scoring replicas' CUDA image: labelled tideline.dev/node-group and tainted
# nvidia.com/gpu, as deploy/k8s/overlays/cloud expects.
module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "~> 20.37"

  cluster_name    = var.name
  cluster_version = var.kubernetes_version

  cluster_endpoint_public_access           = true
  enable_cluster_creator_admin_permissions = true
  enable_irsa                              = true

  vpc_id     = module.vpc.vpc_id
  subnet_ids = module.vpc.private_subnets

  cluster_addons = {
    coredns    = {}
    kube-proxy = {}
    vpc-cni    = {}
    aws-ebs-csi-driver = {
      service_account_role_arn = module.ebs_csi_irsa.iam_role_arn
    }
  }

  eks_managed_node_groups = {
    cpu = {
      ami_type       = "AL2023_x86_64_STANDARD"
      instance_types = [var.cpu_nodes.instance_type]
      min_size       = var.cpu_nodes.min
      desired_size   = var.cpu_nodes.desired
      max_size       = var.cpu_nodes.max
      labels = {
        "tideline.dev/node-group" = "cpu"
      }
    }
    gpu = {
      ami_type       = "AL2023_x86_64_NVIDIA"
      instance_types = [var.gpu_nodes.instance_type]
      min_size       = var.gpu_nodes.min
      desired_size   = var.gpu_nodes.desired
      max_size       = var.gpu_nodes.max
      labels = {
        "tideline.dev/node-group" = "gpu"
      }
      taints = {
        gpu = {
          key    = "nvidia.com/gpu"
          value  = "true"
          effect = "NO_SCHEDULE"
        }
      }
    }
  }

  tags = var.tags
}

# The EBS CSI driver provisions the feature stage's and Kafka Connect's persistent volumes.
module "ebs_csi_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "~> 5.55"

  role_name             = "${var.name}-ebs-csi"
  attach_ebs_csi_policy = true

  oidc_providers = {
    main = {
      provider_arn               = module.eks.oidc_provider_arn
      namespace_service_accounts = ["kube-system:ebs-csi-controller-sa"]
    }
  }

  tags = var.tags
}
