# Tideline itself: deploy/k8s/overlays/cloud with this region's names and credentials. The primary
# region runs everything; the secondary runs the feature stage and the scoring replicas on the
# topics MSK Replicator copies to it (no training, no CDC: their outputs arrive replicated).
locals {
  bootstrap = module.msk.bootstrap_brokers_sasl_scram
  flink     = "s3://${module.flink_bucket.s3_bucket_id}"
  jaas      = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"tideline\" password=\"${random_password.kafka.result}\";"
}

data "kustomization_overlay" "tideline" {
  resources = [var.overlay_path]

  config_map_generator {
    name     = "tideline-env"
    behavior = "merge"
    literals = [
      "TIDELINE_KAFKA_BOOTSTRAP_SERVERS=${local.bootstrap}",
      "TIDELINE_REGISTRY_URL=${var.registry_url}",
      "TIDELINE_TOPICS_PARTITIONS=${var.topic_partitions}",
    ]
  }

  secret_generator {
    name = "tideline-kafka-client"
    type = "Opaque"
    literals = [
      "TIDELINE_KAFKA_CLIENT_SASL_JAAS_CONFIG=${local.jaas}",
    ]
  }

  secret_generator {
    name = "tideline-kafka-scram"
    type = "Opaque"
    literals = [
      "username=tideline",
      "password=${random_password.kafka.result}",
    ]
  }

  secret_generator {
    name = "tideline-connect-worker"
    type = "Opaque"
    literals = [
      "worker.properties=${templatefile("${path.module}/connect-worker.properties.tftpl", {
        bootstrap = local.bootstrap
        jaas      = local.jaas
      })}",
    ]
  }

  secret_generator {
    name = "tideline-postgres"
    type = "Opaque"
    literals = [
      "jdbc-url=jdbc:postgresql://${var.source_database.host}:${var.source_database.port}/${var.source_database.dbname}",
      "user=${var.source_database.user}",
      "password=${var.source_database.password}",
    ]
  }

  secret_generator {
    name = "tideline-connect-secrets"
    type = "Opaque"
    literals = [
      "postgres.properties=${join("\n", [
        "host=${var.source_database.host}",
        "port=${var.source_database.port}",
        "user=${var.source_database.user}",
        "password=${var.source_database.password}",
        "dbname=${var.source_database.dbname}",
      ])}",
      "registry.properties=${join("\n", ["url=${var.registry_url}", "user.info="])}",
    ]
  }

  generator_options {
    disable_name_suffix_hash = true
  }

  # The names the overlay's replacements filled in from its example aws.env and cluster.env.
  patches {
    target {
      kind = "FlinkDeployment"
      name = "tideline-training"
    }
    patch = yamlencode([
      { op = "replace", path = "/spec/flinkConfiguration/high-availability.storageDir", value = "${local.flink}/ha" },
      { op = "replace", path = "/spec/flinkConfiguration/state.checkpoints.dir", value = "${local.flink}/checkpoints" },
      { op = "replace", path = "/spec/flinkConfiguration/state.savepoints.dir", value = "${local.flink}/savepoints" },
    ])
  }

  patches {
    target {
      kind = "ServiceAccount"
      name = "flink"
    }
    patch = yamlencode([
      { op = "replace", path = "/metadata/annotations/eks.amazonaws.com~1role-arn", value = module.flink_irsa.iam_role_arn },
    ])
  }

  patches {
    target {
      kind = "ScaledObject"
      name = "serving"
    }
    patch = yamlencode([
      { op = "replace", path = "/spec/triggers/0/metadata/bootstrapServers", value = local.bootstrap },
      { op = "replace", path = "/spec/maxReplicaCount", value = var.topic_partitions },
    ])
  }

  # A secondary region trains nothing and captures nothing: models.v1, cdc.accounts and
  # cdc.labels arrive replicated.
  dynamic "patches" {
    for_each = var.role == "secondary" ? ["FlinkDeployment/tideline-training", "Deployment/connect", "Job/source-migrate", "Job/connect-register"] : []
    content {
      target {
        kind = split("/", patches.value)[0]
        name = split("/", patches.value)[1]
      }
      patch = yamlencode({
        "$patch"   = "delete"
        apiVersion = split("/", patches.value)[0] == "FlinkDeployment" ? "flink.apache.org/v1beta1" : (split("/", patches.value)[0] == "Job" ? "batch/v1" : "apps/v1")
        kind       = split("/", patches.value)[0]
        metadata   = { name = split("/", patches.value)[1] }
      })
    }
  }
}

# Namespaces and CRD-defined kinds first, then everything else, then what depends on both.
resource "kustomization_resource" "p0" {
  for_each = data.kustomization_overlay.tideline.ids_prio[0]
  manifest = data.kustomization_overlay.tideline.manifests[each.value]

  depends_on = [helm_release.flink_operator, helm_release.keda, helm_release.prometheus]
}

resource "kustomization_resource" "p1" {
  for_each = data.kustomization_overlay.tideline.ids_prio[1]
  manifest = sensitive(data.kustomization_overlay.tideline.manifests[each.value])

  depends_on = [kustomization_resource.p0]
}

resource "kustomization_resource" "p2" {
  for_each = data.kustomization_overlay.tideline.ids_prio[2]
  manifest = data.kustomization_overlay.tideline.manifests[each.value]

  depends_on = [kustomization_resource.p1]
}
