# MSK across the three zones: TLS between clients and brokers and among brokers, SASL/SCRAM for
# Tideline's engines (credentials in Secrets Manager, encrypted with a key of its own, as MSK
# requires) and IAM for MSK Replicator, which authenticates no other way. Topics are created by
# Tideline's bootstrap with the catalog's settings, never by a first write.
resource "aws_security_group" "msk" {
  name        = "${var.name}-msk"
  description = "MSK brokers: Kafka over TLS from the VPC"
  vpc_id      = module.vpc.vpc_id

  ingress {
    description = "SASL/SCRAM over TLS"
    from_port   = 9096
    to_port     = 9096
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }

  ingress {
    description = "IAM over TLS (MSK Replicator)"
    from_port   = 9098
    to_port     = 9098
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = var.tags
}

resource "aws_kms_key" "kafka" {
  description         = "${var.name}: MSK SCRAM credentials"
  enable_key_rotation = true
  tags                = var.tags
}

resource "random_password" "kafka" {
  length  = 32
  special = false
}

# MSK reads SCRAM users from secrets whose names start with AmazonMSK_.
resource "aws_secretsmanager_secret" "kafka" {
  name       = "AmazonMSK_${var.name}_tideline"
  kms_key_id = aws_kms_key.kafka.key_id
  tags       = var.tags
}

resource "aws_secretsmanager_secret_version" "kafka" {
  secret_id = aws_secretsmanager_secret.kafka.id
  secret_string = jsonencode({
    username = "tideline"
    password = random_password.kafka.result
  })
}

module "msk" {
  source  = "terraform-aws-modules/msk-kafka-cluster/aws"
  version = "~> 2.11"

  name                   = var.name
  kafka_version          = var.msk.kafka_version
  number_of_broker_nodes = length(local.azs) * var.msk.broker_multiple

  broker_node_client_subnets  = module.vpc.private_subnets
  broker_node_instance_type   = var.msk.instance_type
  broker_node_security_groups = [aws_security_group.msk.id]
  broker_node_storage_info = {
    ebs_storage_info = {
      volume_size = var.msk.volume_gib
    }
  }

  encryption_in_transit_client_broker = "TLS"
  encryption_in_transit_in_cluster    = true

  client_authentication = {
    sasl = {
      scram = true
      iam   = true
    }
  }
  create_scram_secret_association          = true
  scram_secret_association_secret_arn_list = [aws_secretsmanager_secret.kafka.arn]

  configuration_name        = "${var.name}-tideline"
  configuration_description = "Tideline: replication 3, min.insync.replicas 2, topics from the bootstrap only"
  configuration_server_properties = {
    "auto.create.topics.enable"                = false
    "default.replication.factor"               = 3
    "min.insync.replicas"                      = 2
    "offsets.topic.replication.factor"         = 3
    "transaction.state.log.replication.factor" = 3
    "transaction.state.log.min.isr"            = 2
    "num.partitions"                           = var.topic_partitions
    # The pipeline stamps records with event time; Kafka refuses those more than this ahead.
    "log.message.timestamp.after.max.ms" = 3600000
  }

  tags = var.tags
}
