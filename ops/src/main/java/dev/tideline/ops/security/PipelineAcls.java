package dev.tideline.ops.security;

import dev.tideline.schemas.TopicCatalog;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The ACLs each part of the pipeline needs on a cluster whose authorizer denies what no ACL allows:
 * the topics it reads and writes, and its consumer groups and transactional ids (by prefix). One
 * principal per part; nothing here lets a part touch another's output.
 *
 * <p>{@code READ} and {@code WRITE} imply {@code DESCRIBE}. The feature stage also checks the
 * catalog's topics at start ({@code DESCRIBE}, {@code DESCRIBE_CONFIGS}); creating them is the
 * operator's job, as is creating users.
 */
public final class PipelineAcls {

    private PipelineAcls() {}

    /**
     * The feature stage: payments, accounts and labels in; vectors and dead letters out; its
     * internal topics, consumer group and transactional ids under its application id.
     */
    public static List<AclBinding> features(
            String principal, TopicCatalog catalog, String applicationId) {
        List<AclBinding> acls = new ArrayList<>();
        for (var topic : catalog.all()) {
            topic(acls, principal, topic.name(), AclOperation.DESCRIBE);
            topic(acls, principal, topic.name(), AclOperation.DESCRIBE_CONFIGS);
        }
        topic(acls, principal, catalog.transactions().name(), AclOperation.READ);
        topic(acls, principal, catalog.accounts().name(), AclOperation.READ);
        topic(acls, principal, catalog.labels().name(), AclOperation.READ);
        topic(acls, principal, catalog.features().name(), AclOperation.WRITE);
        topic(
                acls,
                principal,
                catalog.deadLetter(catalog.transactions()).name(),
                AclOperation.WRITE);
        topic(acls, principal, catalog.deadLetter(catalog.features()).name(), AclOperation.WRITE);
        topic(acls, principal, catalog.deadLetter(catalog.labels()).name(), AclOperation.WRITE);
        topic(acls, principal, catalog.cdcDeadLetter().name(), AclOperation.WRITE);
        // Changelogs and repartition topics: Kafka Streams creates, reads, writes and trims them.
        prefixed(acls, principal, ResourceType.TOPIC, applicationId, AclOperation.ALL);
        prefixed(acls, principal, ResourceType.GROUP, applicationId, AclOperation.READ);
        prefixed(acls, principal, ResourceType.TRANSACTIONAL_ID, applicationId, AclOperation.WRITE);
        return acls;
    }

    /**
     * A scoring replica: vectors, models and revocations in; predictions, the vectors' dead letters
     * and revocations out; its group and transactional ids ({@code <group>-<instance>}) under its
     * group id.
     */
    public static List<AclBinding> serving(String principal, TopicCatalog catalog, String groupId) {
        List<AclBinding> acls = new ArrayList<>();
        topic(acls, principal, catalog.features().name(), AclOperation.READ);
        topic(acls, principal, catalog.models().name(), AclOperation.READ);
        topic(acls, principal, catalog.revocations().name(), AclOperation.READ);
        topic(acls, principal, catalog.predictions().name(), AclOperation.WRITE);
        topic(acls, principal, catalog.deadLetter(catalog.features()).name(), AclOperation.WRITE);
        // A replica that rolls a model back revokes it for the whole fleet.
        topic(acls, principal, catalog.revocations().name(), AclOperation.WRITE);
        prefixed(acls, principal, ResourceType.GROUP, groupId, AclOperation.READ);
        prefixed(acls, principal, ResourceType.TRANSACTIONAL_ID, groupId, AclOperation.WRITE);
        return acls;
    }

    /**
     * The training job: vectors, labels, its learners' sync topic, models and revocations in; sync
     * records, releases and dead letters out; its groups and transactional ids under its group id.
     */
    public static List<AclBinding> training(
            String principal, TopicCatalog catalog, String groupId) {
        List<AclBinding> acls = new ArrayList<>();
        topic(acls, principal, catalog.features().name(), AclOperation.READ);
        topic(acls, principal, catalog.labels().name(), AclOperation.READ);
        topic(acls, principal, catalog.trainingSync().name(), AclOperation.READ);
        topic(acls, principal, catalog.models().name(), AclOperation.READ);
        topic(acls, principal, catalog.revocations().name(), AclOperation.READ);
        topic(acls, principal, catalog.trainingSync().name(), AclOperation.WRITE);
        topic(acls, principal, catalog.models().name(), AclOperation.WRITE);
        topic(acls, principal, catalog.deadLetter(catalog.features()).name(), AclOperation.WRITE);
        topic(acls, principal, catalog.deadLetter(catalog.labels()).name(), AclOperation.WRITE);
        prefixed(acls, principal, ResourceType.GROUP, groupId, AclOperation.READ);
        prefixed(acls, principal, ResourceType.TRANSACTIONAL_ID, groupId, AclOperation.WRITE);
        return acls;
    }

    /** The CDC runner: accounts, labels and the rows it cannot map. */
    public static List<AclBinding> cdc(String principal, TopicCatalog catalog) {
        List<AclBinding> acls = new ArrayList<>();
        topic(acls, principal, catalog.accounts().name(), AclOperation.WRITE);
        topic(acls, principal, catalog.labels().name(), AclOperation.WRITE);
        topic(acls, principal, catalog.cdcDeadLetter().name(), AclOperation.WRITE);
        return acls;
    }

    /**
     * A producer of payments: the input topic, and transactional ids under {@code
     * transactionalIdPrefix} (for {@code tideline produce}, {@code tideline-produce-}).
     */
    public static List<AclBinding> payments(
            String principal, TopicCatalog catalog, String transactionalIdPrefix) {
        List<AclBinding> acls = new ArrayList<>();
        topic(acls, principal, catalog.transactions().name(), AclOperation.WRITE);
        prefixed(
                acls,
                principal,
                ResourceType.TRANSACTIONAL_ID,
                transactionalIdPrefix,
                AclOperation.WRITE);
        return acls;
    }

    /** A reader of every topic, without a consumer group: monitors, {@code tideline tail}. */
    public static List<AclBinding> reader(String principal, TopicCatalog catalog) {
        List<AclBinding> acls = new ArrayList<>();
        for (var topic : catalog.all()) {
            topic(acls, principal, topic.name(), AclOperation.READ);
            topic(acls, principal, topic.name(), AclOperation.DESCRIBE_CONFIGS);
        }
        return acls;
    }

    private static void topic(
            List<AclBinding> acls, String principal, String topic, AclOperation operation) {
        acls.add(
                new AclBinding(
                        new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
                        allow(principal, operation)));
    }

    private static void prefixed(
            List<AclBinding> acls,
            String principal,
            ResourceType type,
            String prefix,
            AclOperation operation) {
        acls.add(
                new AclBinding(
                        new ResourcePattern(type, prefix, PatternType.PREFIXED),
                        allow(principal, operation)));
    }

    private static AccessControlEntry allow(String principal, AclOperation operation) {
        return new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW);
    }
}
