package dev.tideline.localstack;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a secured embedded broker needs: its key and certificate, and the certificates it trusts, as
 * PKCS12 files. Its client listener then speaks SASL_SSL with SCRAM-SHA-512; replication, the
 * controller and the operator's listener speak SSL with client certificates, and the certificate's
 * common name is the super user.
 *
 * @param keystore the node's key and certificate chain
 * @param truststore the certificates the node trusts: those of the authority that signed clients'
 *     and nodes' certificates
 * @param superUser the principal name of the node's certificate (its common name), which the
 *     authorizer lets do everything: brokers, controllers and the operator who creates users and
 *     ACLs
 */
public record KafkaTls(
        Path keystore,
        String keystorePassword,
        Path truststore,
        String truststorePassword,
        String superUser) {

    public KafkaTls {
        Objects.requireNonNull(keystore, "keystore");
        Objects.requireNonNull(keystorePassword, "keystorePassword");
        Objects.requireNonNull(truststore, "truststore");
        Objects.requireNonNull(truststorePassword, "truststorePassword");
        Objects.requireNonNull(superUser, "superUser");
    }

    /** The passwords stay out of logs and exception messages. */
    @Override
    public String toString() {
        return "KafkaTls[keystore="
                + keystore
                + ", truststore="
                + truststore
                + ", superUser="
                + superUser
                + "]";
    }
}
