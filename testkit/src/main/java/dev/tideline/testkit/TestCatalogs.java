package dev.tideline.testkit;

import dev.tideline.localstack.LocalStack;
import dev.tideline.schemas.TopicBootstrap;
import dev.tideline.schemas.TopicCatalog;
import dev.tideline.schemas.TopicCatalogConfig;
import dev.tideline.schemas.registry.RegistryClientConfig;
import dev.tideline.schemas.registry.SchemaRegistryClient;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** A test's own topic catalog on the shared local stack, under the test's prefix. */
public final class TestCatalogs {

    private TestCatalogs() {}

    /** The catalog under {@code prefix}; nothing is created. */
    public static TopicCatalog catalog(LocalStack stack, String prefix, int partitions) {
        return TopicCatalog.create(
                new TopicCatalogConfig(
                        Map.of(
                                TopicCatalogConfig.PREFIX,
                                prefix,
                                TopicCatalogConfig.PARTITIONS,
                                String.valueOf(partitions))),
                registry(stack));
    }

    /** The catalog under {@code prefix}, with its topics created and schemas registered. */
    public static TopicCatalog bootstrapped(LocalStack stack, String prefix, int partitions) {
        TopicCatalog catalog = catalog(stack, prefix, partitions);
        try (Admin admin =
                Admin.create(
                        Map.of(
                                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                stack.bootstrapServers()))) {
            TopicBootstrap.ensure(
                    admin, catalog, Optional.of(registry(stack)), Duration.ofSeconds(60));
        }
        return catalog;
    }

    private static SchemaRegistryClient registry(LocalStack stack) {
        return new SchemaRegistryClient(RegistryClientConfig.forUrl(stack.registryUrl()));
    }
}
