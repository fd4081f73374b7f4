# The operators Tideline's manifests build on, from their projects' Helm charts.
resource "helm_release" "cert_manager" {
  name             = "cert-manager"
  repository       = "https://charts.jetstack.io"
  chart            = "cert-manager"
  version          = "v1.18.2"
  namespace        = "cert-manager"
  create_namespace = true

  set {
    name  = "crds.enabled"
    value = "true"
  }

  depends_on = [module.eks]
}

# The Apache Flink Kubernetes Operator (its webhook needs cert-manager).
resource "helm_release" "flink_operator" {
  name             = "flink-kubernetes-operator"
  repository       = "https://downloads.apache.org/flink/flink-kubernetes-operator-1.13.0/"
  chart            = "flink-kubernetes-operator"
  version          = "1.13.0"
  namespace        = "flink-operator"
  create_namespace = true

  set {
    name  = "watchNamespaces[0]"
    value = "tideline"
  }

  depends_on = [helm_release.cert_manager]
}

resource "helm_release" "keda" {
  name             = "keda"
  repository       = "https://kedacore.github.io/charts"
  chart            = "keda"
  version          = "2.17.2"
  namespace        = "keda"
  create_namespace = true

  depends_on = [module.eks]
}

# Prometheus, its operator (ServiceMonitor, PodMonitor) and Grafana.
resource "helm_release" "prometheus" {
  name             = "kube-prometheus-stack"
  repository       = "https://prometheus-community.github.io/helm-charts"
  chart            = "kube-prometheus-stack"
  version          = "75.15.1"
  namespace        = "monitoring"
  create_namespace = true

  # Scrape ServiceMonitors and PodMonitors in every namespace, not only the chart's own.
  set {
    name  = "prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues"
    value = "false"
  }
  set {
    name  = "prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues"
    value = "false"
  }

  depends_on = [module.eks]
}

# Advertises the GPU nodes' nvidia.com/gpu resource to the scheduler.
resource "helm_release" "nvidia_device_plugin" {
  name             = "nvidia-device-plugin"
  repository       = "https://nvidia.github.io/k8s-device-plugin"
  chart            = "nvidia-device-plugin"
  version          = "0.17.3"
  namespace        = "nvidia-device-plugin"
  create_namespace = true

  set {
    name  = "nodeSelector.tideline\\.dev/node-group"
    value = "gpu"
  }
  set {
    name  = "tolerations[0].key"
    value = "nvidia.com/gpu"
  }
  set {
    name  = "tolerations[0].operator"
    value = "Exists"
  }
  set {
    name  = "tolerations[0].effect"
    value = "NoSchedule"
  }

  depends_on = [module.eks]
}
