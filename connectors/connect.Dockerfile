# syntax=docker/dockerfile:1
# A Kafka Connect worker (distributed mode) with Tideline's connectors on its plugin path:
# Debezium's PostgreSQL connector as PostgresSourceConnector and ContractTransform, so
# connectors/connect/*.json deploy as they are (POST them to the worker's REST API, port 8083).
# Build from the repository root after `mvn -B package -DskipTests`:
#   docker build -f connectors/connect.Dockerfile -t tideline/connect:0.1.0 .
# The worker's settings are connectors/connect/worker.properties; what differs per deployment
# comes from CONNECT_* variables (bootstrap servers, group id) through Kafka's EnvVarConfigProvider.
# Database and registry secrets are files under /etc/tideline/secrets, mounted read-only.
FROM apache/kafka:4.3.1

USER root
# One plugin directory: the connectors jar and what it needs, less the jars the worker itself
# provides (Kafka's and Connect's own), which must come from the worker's class loader.
COPY connectors/target/lib/ /opt/tideline/connect-plugins/tideline/
COPY connectors/target/tideline-connectors.jar /opt/tideline/connect-plugins/tideline/
COPY connectors/connect/worker.properties /etc/tideline/connect/worker.properties
# For the jobs that prepare a deployment (deploy/k8s): the source database's migrations, and the
# connector configs with the script that registers them.
COPY connectors/src/main/resources/db/migration/ /opt/tideline/migrations/
COPY connectors/connect/cdc-accounts.v1.json connectors/connect/cdc-chargebacks.v1.json deploy/compose/connect/register.sh /opt/tideline/connectors/
RUN rm -f /opt/tideline/connect-plugins/tideline/kafka-clients-*.jar \
          /opt/tideline/connect-plugins/tideline/connect-api-*.jar \
          /opt/tideline/connect-plugins/tideline/connect-runtime-*.jar \
          /opt/tideline/connect-plugins/tideline/connect-json-*.jar \
          /opt/tideline/connect-plugins/tideline/connect-transforms-*.jar \
          /opt/tideline/connect-plugins/tideline/connect-file-*.jar \
          /opt/tideline/connect-plugins/tideline/slf4j-api-*.jar \
    && mkdir -p /etc/tideline/secrets \
    && chown -R appuser /opt/tideline /etc/tideline/connect
USER appuser

ENV KAFKA_HEAP_OPTS="-Xms512m -Xmx1g"
EXPOSE 8083
# The image has bash but no HTTP client: the REST port accepting connections is the check.
HEALTHCHECK --interval=10s --timeout=3s --start-period=90s --retries=3 \
    CMD bash -c '</dev/tcp/127.0.0.1/8083' || exit 1
ENTRYPOINT ["/opt/kafka/bin/connect-distributed.sh", "/etc/tideline/connect/worker.properties"]
