package dev.tideline.testkit;

import dev.tideline.localstack.KafkaTls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made at test time for a secured local stack: a certificate authority that lives as
 * long as the test, and a node certificate it signs for {@code localhost} and {@code 127.0.0.1},
 * good for both ends of a TLS connection. Written as PKCS12 files with random passwords.
 */
public final class TestTls {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path keystore;
    private final Path truststore;
    private final String keystorePassword;
    private final String truststorePassword;
    private final String nodeName;

    private TestTls(
            Path keystore,
            Path truststore,
            String keystorePassword,
            String truststorePassword,
            String nodeName) {
        this.keystore = keystore;
        this.truststore = truststore;
        this.keystorePassword = keystorePassword;
        this.truststorePassword = truststorePassword;
        this.nodeName = nodeName;
    }

    /**
     * Makes an authority and a node certificate with common name {@code nodeName}, and writes the
     * node's keystore and the truststore (the authority's certificate) under {@code dir}.
     */
    public static TestTls generate(Path dir, String nodeName) {
        try {
            Files.createDirectories(dir);
            KeyPairGenerator keys = KeyPairGenerator.getInstance("EC");
            keys.initialize(256, RANDOM);
            Instant now = Instant.now();
            Date from = Date.from(now.minus(Duration.ofHours(1)));
            Date to = Date.from(now.plus(Duration.ofDays(2)));

            KeyPair ca = keys.generateKeyPair();
            X500Name caName = new X500Name("CN=Tideline test authority");
            X509v3CertificateBuilder caBuilder =
                    new JcaX509v3CertificateBuilder(
                            caName, serial(), from, to, caName, ca.getPublic());
            caBuilder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            caBuilder.addExtension(
                    Extension.keyUsage,
                    true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            X509Certificate caCert = sign(caBuilder, ca);

            KeyPair node = keys.generateKeyPair();
            X509v3CertificateBuilder nodeBuilder =
                    new JcaX509v3CertificateBuilder(
                            caCert,
                            serial(),
                            from,
                            to,
                            new X500Name("CN=" + nodeName),
                            node.getPublic());
            nodeBuilder.addExtension(
                    Extension.subjectAlternativeName,
                    false,
                    new GeneralNames(
                            new GeneralName[] {
                                new GeneralName(GeneralName.dNSName, "localhost"),
                                new GeneralName(GeneralName.iPAddress, "127.0.0.1")
                            }));
            nodeBuilder.addExtension(
                    Extension.extendedKeyUsage,
                    false,
                    new ExtendedKeyUsage(
                            new KeyPurposeId[] {
                                KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                            }));
            X509Certificate nodeCert = sign(nodeBuilder, ca);

            String keystorePassword = password();
            String truststorePassword = password();
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(
                    nodeName,
                    node.getPrivate(),
                    keystorePassword.toCharArray(),
                    new Certificate[] {nodeCert, caCert});
            Path keystore = dir.resolve(nodeName + ".p12");
            write(ks, keystore, keystorePassword);
            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            ts.setCertificateEntry("tideline-test-authority", caCert);
            Path truststore = dir.resolve("truststore.p12");
            write(ts, truststore, truststorePassword);
            return new TestTls(
                    keystore, truststore, keystorePassword, truststorePassword, nodeName);
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make test certificates: " + e, e);
        }
    }

    /** The broker's side: its keystore, the truststore and the node's name as super user. */
    public KafkaTls broker() {
        return new KafkaTls(keystore, keystorePassword, truststore, truststorePassword, nodeName);
    }

    /** TLS for a server that presents the node's certificate (an https test server). */
    public SSLContext serverContext() {
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, keystorePassword.toCharArray());
            KeyManagerFactory keys =
                    KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(ks, keystorePassword.toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the node's keystore: " + e, e);
        }
    }

    public Path truststore() {
        return truststore;
    }

    public String truststorePassword() {
        return truststorePassword;
    }

    /**
     * Client settings that trust the authority, with the truststore's password as given: a literal,
     * or a config-provider reference such as {@code ${file:/path:key}}.
     */
    public Map<String, Object> trusting(String password) {
        return Map.of(
                "ssl.truststore.type",
                "PKCS12",
                "ssl.truststore.location",
                truststore.toString(),
                "ssl.truststore.password",
                password);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuer)
            throws OperatorCreationException, GeneralSecurityException {
        ContentSigner signer =
                new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    }

    private static void write(KeyStore store, Path file, String password)
            throws IOException, GeneralSecurityException {
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, password.toCharArray());
        }
    }

    private static BigInteger serial() {
        return new BigInteger(63, RANDOM);
    }

    /** A fresh random password, 32 hex digits. */
    public static String password() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
