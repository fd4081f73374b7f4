# MSK Replicator: the primary's input, model and CDC topics into the secondary, names unchanged,
# from the earliest offset, with the serving and feature groups' offsets translated so that a
# failover resumes near where the primary stopped. MSK Replicator authenticates with IAM only.
resource "aws_iam_role" "replicator" {
  count = local.multi_region ? 1 : 0
  name  = "${var.name}-msk-replicator"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "kafka.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "replicator" {
  count = local.multi_region ? 1 : 0
  name  = "msk-replicator"
  role  = aws_iam_role.replicator[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:AlterCluster", "kafka-cluster:DescribeTopic", "kafka-cluster:CreateTopic", "kafka-cluster:AlterTopic", "kafka-cluster:WriteData", "kafka-cluster:ReadData", "kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup", "kafka-cluster:DescribeTopicDynamicConfiguration", "kafka-cluster:AlterTopicDynamicConfiguration", "kafka-cluster:WriteDataIdempotently"]
        Resource = ["*"]
      }
    ]
  })
}

resource "aws_msk_replicator" "to_secondary" {
  count    = local.multi_region ? 1 : 0
  provider = aws.secondary

  replicator_name            = "${var.name}-to-secondary"
  description                = "Tideline: input, models and CDC topics to the standby region"
  service_execution_role_arn = aws_iam_role.replicator[0].arn

  kafka_cluster {
    amazon_msk_cluster {
      msk_cluster_arn = module.primary.msk_arn
    }
    vpc_config {
      subnet_ids          = module.primary.private_subnets
      security_groups_ids = [module.primary.msk_security_group_id]
    }
  }

  kafka_cluster {
    amazon_msk_cluster {
      msk_cluster_arn = module.secondary[0].msk_arn
    }
    vpc_config {
      subnet_ids          = module.secondary[0].private_subnets
      security_groups_ids = [module.secondary[0].msk_security_group_id]
    }
  }

  replication_info_list {
    source_kafka_cluster_arn = module.primary.msk_arn
    target_kafka_cluster_arn = module.secondary[0].msk_arn
    target_compression_type  = "LZ4"

    topic_replication {
      topics_to_replicate                  = var.replicated_topics
      copy_topic_configurations            = true
      copy_access_control_lists_for_topics = true
      detect_and_copy_new_topics           = false

      topic_name_configuration {
        type = "IDENTICAL"
      }

      starting_position {
        type = "EARLIEST"
      }
    }

    consumer_group_replication {
      consumer_groups_to_replicate        = ["tideline-serving", "tideline-features"]
      synchronise_consumer_group_offsets  = true
      detect_and_copy_new_consumer_groups = false
    }
  }
}
