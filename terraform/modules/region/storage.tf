# Flink's checkpoints, savepoints and HA metadata, and the model artifacts a release may point to
# (artifact_uri) instead of carrying its ONNX bytes inline.
module "flink_bucket" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "~> 4.6"

  bucket = "${var.name}-flink-${data.aws_caller_identity.current.account_id}"

  versioning = {
    enabled = true
  }
  server_side_encryption_configuration = {
    rule = {
      apply_server_side_encryption_by_default = {
        sse_algorithm = "aws:kms"
      }
    }
  }
  # Checkpoints are superseded within minutes; savepoints are kept until deleted by hand.
  lifecycle_rule = [
    {
      id     = "checkpoints"
      status = "Enabled"
      filter = {
        prefix = "checkpoints/"
      }
      noncurrent_version_expiration = {
        noncurrent_days = 7
      }
    }
  ]

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true

  tags = var.tags
}

module "models_bucket" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "~> 4.6"

  bucket = "${var.name}-models-${data.aws_caller_identity.current.account_id}"

  versioning = {
    enabled = true
  }
  server_side_encryption_configuration = {
    rule = {
      apply_server_side_encryption_by_default = {
        sse_algorithm = "aws:kms"
      }
    }
  }

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true

  tags = var.tags
}

# The training job's service account (tideline/flink) reads and writes its bucket, and writes
# model artifacts; nothing else.
resource "aws_iam_policy" "flink" {
  name = "${var.name}-flink"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:ListBucket", "s3:GetBucketLocation"]
        Resource = [module.flink_bucket.s3_bucket_arn, module.models_bucket.s3_bucket_arn]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
        Resource = ["${module.flink_bucket.s3_bucket_arn}/*", "${module.models_bucket.s3_bucket_arn}/*"]
      }
    ]
  })
  tags = var.tags
}

module "flink_irsa" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks"
  version = "~> 5.55"

  role_name = "${var.name}-flink"
  role_policy_arns = {
    s3 = aws_iam_policy.flink.arn
  }

  oidc_providers = {
    main = {
      provider_arn               = module.eks.oidc_provider_arn
      namespace_service_accounts = ["tideline:flink"]
    }
  }

  tags = var.tags
}
