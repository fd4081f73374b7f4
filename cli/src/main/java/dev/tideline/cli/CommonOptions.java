package dev.tideline.cli;

import dev.tideline.ops.config.ClientSettings;
import dev.tideline.schemas.TopicCatalogConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where to find Kafka and the registry, shared by every subcommand. */
final class CommonOptions {

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "Properties file of tideline.* settings.")
    Path configFile;

    @Option(
            names = "--bootstrap",
            paramLabel = "HOST:PORT",
            description =
                    "Kafka bootstrap servers (default: the running local stack's, from"
                            + " 'tideline stack up').")
    String bootstrap;

    @Option(
            names = "--registry",
            paramLabel = "URL",
            description =
                    "Schema registry URL, Confluent-compatible API (default: the local stack's).")
    String registry;

    @Option(
            names = "--registry-user-info",
            paramLabel = "USER:PASSWORD",
            description = "Basic-auth credentials for the registry.")
    String registryUserInfo;

    @Option(
            names = "--registry-token",
            paramLabel = "TOKEN",
            description = "Bearer token for the registry.")
    String registryToken;

    @Option(
            names = "--prefix",
            paramLabel = "PREFIX",
            description = "Topic name prefix (tideline.topics.prefix).")
    String prefix;

    @Option(
            names = "-D",
            paramLabel = "KEY=VALUE",
            description =
                    "Any tideline.* setting, e.g. -D tideline.kafka.client.security.protocol=SSL.")
    Map<String, String> properties = new LinkedHashMap<>();

    /** The settings these flags set, as configuration keys. */
    Map<String, String> overrides() {
        Map<String, String> map = new LinkedHashMap<>(properties);
        put(map, ClientSettings.BOOTSTRAP, bootstrap);
        put(map, ClientSettings.REGISTRY_URL, registry);
        put(map, ClientSettings.REGISTRY_USER_INFO, registryUserInfo);
        put(map, ClientSettings.REGISTRY_TOKEN, registryToken);
        put(map, TopicCatalogConfig.PREFIX, prefix);
        return map;
    }

    private static void put(Map<String, String> map, String key, String value) {
        if (value != null) {
            map.put(key, value);
        }
    }
}
