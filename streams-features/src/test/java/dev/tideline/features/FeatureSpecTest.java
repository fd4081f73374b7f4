package dev.tideline.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FeatureSpecTest {

    private static final String SMALL =
            """
            id: small
            version: 3
            tiles_per_window: 4
            grace: PT30S
            windows:
              - {name: 1m, size: PT1M}
              - {name: 1h, size: PT1H}
            features:
              - {name: amount, kind: event, field: amount}
              - {name: n, kind: window, agg: count, windows: [1m, 1h]}
              - {name: eco, kind: window, agg: ratio, where: {field: channel, in: [ECOMMERCE, ATM]}, window: 1h, default: -1}
              - {name: since, kind: entity, fn: time_since_last, default: -1}
              - {name: share, kind: derived, numerator: amount, denominator: n_1h}
            """;

    @Test
    void defaultSpecDeclaresItsFeaturesInOrder() {
        FeatureSpec spec = FeatureSpec.builtin(FeatureSpec.DEFAULT);

        assertThat(spec.id()).isEqualTo("payments");
        assertThat(spec.version()).isEqualTo(4);
        assertThat(spec.money().base()).isEqualTo("EUR");
        assertThat(spec.grace()).isEqualTo(Duration.ofMinutes(2));
        assertThat(spec.windows()).extracting(Window::name).containsExactly("5m", "1h", "24h");
        assertThat(spec.featureNames())
                .startsWith(
                        "amount", "txn_count_5m", "txn_count_1h", "txn_count_24h", "amount_sum_5m")
                .contains("is_foreign", "amount_to_credit_limit", "amount_to_mean_24h")
                .endsWith(
                        "merchant_txn_count_5m",
                        "merchant_txn_count_1h",
                        "merchant_fraud_count_5m",
                        "merchant_fraud_count_1h",
                        "merchant_fraud_count_24h",
                        "merchant_fraud_rate_1h",
                        "merchant_fraud_rate_24h")
                .hasSize(31);
        assertThat(spec.hasMerchantFeatures()).isTrue();
        assertThat(spec.maxWindow()).isEqualTo(Duration.ofHours(24));
    }

    @Test
    void defaultSpecFingerprintIsPinned() {
        // Changing the default spec changes what every deployed model reads: it must be deliberate,
        // and come with a new spec version. Update this value only together with the version.
        assertThat(FeatureSpec.builtin(FeatureSpec.DEFAULT).fingerprint())
                .isEqualTo("d459926870ab52d7317f9644dc58cf068245ec816a0d0603d7450decc6d46da1");
    }

    @Test
    void theBuiltInSpecWithoutMerchantFeaturesIsASpecOfItsOwn() {
        FeatureSpec spec = FeatureSpec.builtin(FeatureSpec.DEFAULT);
        FeatureSpec entityOnly = spec.withoutMerchantFeatures();
        assertThat(entityOnly.hasMerchantFeatures()).isFalse();
        assertThat(entityOnly.size()).isEqualTo(24);
        assertThat(entityOnly.fingerprint()).isNotEqualTo(spec.fingerprint());
        // Its canonical form is a spec file that reads back as the same spec.
        FeatureSpec reread = FeatureSpec.parse(entityOnly.canonicalForm(), "canonical.json");
        assertThat(reread.fingerprint()).isEqualTo(entityOnly.fingerprint());
    }

    @Test
    void windowListsExpandInWindowOrder() {
        FeatureSpec spec = FeatureSpec.parse(SMALL, "small.yaml");

        assertThat(spec.featureNames())
                .containsExactly("amount", "n_1m", "n_1h", "eco", "since", "share");
        assertThat(spec.features().get(3).defaultValue()).isEqualTo(-1);
        assertThat(spec.windows().get(0).widthMs()).isEqualTo(15_000);
    }

    @Test
    void fingerprintIgnoresFormattingAndShorthand() {
        String longForm =
                """
                {"id": "small", "version": 3, "tiles_per_window": 4, "grace": "PT30S",
                 "windows": [{"size": "PT1M", "name": "1m"}, {"name": "1h", "size": "PT60M"}],
                 "features": [
                   {"kind": "event", "name": "amount", "field": "amount", "default": 0.0},
                   {"name": "n_1m", "kind": "window", "agg": "COUNT", "window": "1m"},
                   {"name": "n_1h", "kind": "window", "agg": "count", "window": "1h"},
                   {"name": "eco", "kind": "window", "agg": "ratio", "window": "1h", "default": -1,
                    "where": {"in": ["ATM", "ECOMMERCE"], "field": "channel"}},
                   {"name": "since", "kind": "entity", "fn": "time_since_last", "default": -1},
                   {"name": "share", "kind": "derived", "numerator": "amount", "denominator": "n_1h"}
                 ]}
                """;

        assertThat(FeatureSpec.parse(longForm, "small.json").fingerprint())
                .isEqualTo(FeatureSpec.parse(SMALL, "small.yaml").fingerprint())
                .matches("[0-9a-f]{64}");
    }

    @Test
    void fingerprintChangesWithOrderOrMeaning() {
        String base = FeatureSpec.parse(SMALL, "a").fingerprint();
        String reordered = SMALL.replace("windows: [1m, 1h]", "windows: [1h, 1m]");
        String regraced = SMALL.replace("grace: PT30S", "grace: PT20S");
        String redefaulted =
                SMALL.replace("default: -1}\n  - {name: share", "default: -2}\n  - {name: share");

        assertThat(FeatureSpec.parse(reordered, "b").fingerprint()).isNotEqualTo(base);
        assertThat(FeatureSpec.parse(regraced, "c").fingerprint()).isNotEqualTo(base);
        assertThat(FeatureSpec.parse(redefaulted, "d").fingerprint()).isNotEqualTo(base);
    }

    @Test
    void aBaseCurrencyAndItsRatesArePartOfTheFingerprintAndChecked() {
        String base = FeatureSpec.parse(SMALL, "a").fingerprint();
        String converting =
                SMALL.replace(
                        "grace: PT30S", "grace: PT30S\nbase_currency: EUR\nrates: {USD: 0.9}");
        FeatureSpec spec = FeatureSpec.parse(converting, "b");
        assertThat(spec.fingerprint()).isNotEqualTo(base);
        assertThat(spec.money().toBase(100, "USD")).isEqualTo(90.0);
        assertThat(spec.money().toBase(100, "EUR")).isEqualTo(100.0);
        assertThat(
                        FeatureSpec.parse(converting.replace("USD: 0.9", "USD: 0.91"), "c")
                                .fingerprint())
                .isNotEqualTo(spec.fingerprint());

        assertThatThrownBy(
                        () ->
                                FeatureSpec.parse(
                                        SMALL.replace(
                                                "grace: PT30S", "grace: PT30S\nbase_currency: EUR"),
                                        "d"))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("go together");
        assertThatThrownBy(() -> FeatureSpec.parse(converting.replace("0.9", "-1"), "e"))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("rate of USD must be a positive number");
        assertThatThrownBy(() -> FeatureSpec.parse(converting.replace("USD", "DOLLARS"), "f"))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("rates");
    }

    @Test
    void aLogTransformIsDeclaredPerFeatureAndIsPartOfTheFingerprint() {
        FeatureSpec plain = FeatureSpec.parse(SMALL, "a");
        String logged =
                SMALL.replace(
                                "{name: amount, kind: event, field: amount}",
                                "{name: amount, kind: event, field: amount, transform: log}")
                        .replace(
                                "{name: n, kind: window, agg: count,",
                                "{name: n, kind: window, agg: count, transform: log,");
        FeatureSpec spec = FeatureSpec.parse(logged, "b");

        assertThat(spec.transform("amount")).isEqualTo(Transform.LOG);
        // A declaration that expands into one feature per window applies to each of them.
        assertThat(spec.transform("n_1m")).isEqualTo(Transform.LOG);
        assertThat(spec.transform("n_1h")).isEqualTo(Transform.LOG);
        assertThat(spec.transform("since")).isEqualTo(Transform.NONE);
        assertThat(plain.transform("amount")).isEqualTo(Transform.NONE);
        assertThat(spec.fingerprint()).isNotEqualTo(plain.fingerprint());
        assertThat(FeatureSpec.parse(spec.canonicalForm(), "c").fingerprint())
                .isEqualTo(spec.fingerprint());
        assertThat(SMALL.replace("field: amount}", "field: amount, transform: none}"))
                .satisfies(
                        none ->
                                assertThat(FeatureSpec.parse(none, "d").fingerprint())
                                        .isEqualTo(plain.fingerprint()));
        assertThatThrownBy(
                        () ->
                                FeatureSpec.parse(
                                        SMALL.replace(
                                                "field: amount}",
                                                "field: amount, transform: sqrt}"),
                                        "e"))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("features[0] 'amount': unknown transform 'sqrt'")
                .hasMessageContaining("none, log");
    }

    @Test
    void aTransformedFeatureIsWrittenLogScaledAndDerivedFeaturesDivideTheValuesBeforeIt() {
        String logged =
                SMALL.replace(
                        "{name: amount, kind: event, field: amount}",
                        "{name: amount, kind: event, field: amount, transform: log}");
        FeatureComputer computer = new FeatureComputer(FeatureSpec.parse(logged, "b"));
        FeatureComputer plain = new FeatureComputer(FeatureSpec.parse(SMALL, "a"));
        long t = 1_790_000_000_000L;
        Event event = new Event("t1", "e", "m", 25_000, 250, "EUR", 2, "DE", "ATM", t);

        float[] v = computer.apply(computer.layout().newState(), event, null);
        float[] raw = plain.apply(plain.layout().newState(), event, null);

        assertThat(raw[0]).isEqualTo(250f);
        assertThat((double) v[0]).isCloseTo(Math.log1p(250), within(1e-6));
        assertThat(v[1]).isEqualTo(raw[1]); // n_1m: not transformed
        assertThat(v[5]).as("share = amount / n_1h, of the amount as computed").isEqualTo(raw[5]);
        assertThat(Transform.LOG.apply(-250)).isEqualTo(-Math.log1p(250));
        assertThat(Transform.LOG.apply(0)).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "unknown aggregation | agg: count, windows: [1m, 1h]} | agg: counted, windows: [1m,"
                        + " 1h]} | features[1] 'n': unknown agg 'counted'",
                "unknown window | windows: [1m, 1h]} | windows: [1m, 2h]} | features[1] 'n':"
                        + " unknown window '2h'",
                "forward reference | denominator: n_1h} | denominator: later} | features[4]"
                        + " 'share': 'later' is not a feature declared before",
                "ratio without condition | agg: ratio, where: {field: channel, in: [ECOMMERCE,"
                    + " ATM]}, | agg: ratio, | features[2] 'eco': ratio needs a where condition",
                "bounds on a text field | where: {field: channel, in: [ECOMMERCE, ATM]} | where:"
                    + " {field: channel, gt: 3} | features[2] 'eco' where: channel is not numeric",
                "unknown key | {name: amount, kind: event, field: amount} | {name: amount, kind:"
                        + " event, field: amount, windw: 1m} | features[0] 'amount': unknown key"
                        + " 'windw'",
                "uneven tiles | tiles_per_window: 4 | tiles_per_window: 7 | windows[0] '1m': size"
                        + " PT1M does not split into 7 tiles",
                "grace over smallest window | grace: PT30S | grace: PT2M | grace PT2M is longer"
                        + " than the smallest window PT1M",
                "text field summed | {name: amount, kind: event, field: amount} | {name: amount,"
                    + " kind: event, field: country} | features[0] 'amount': field 'country' is not"
                    + " numeric",
                "duplicate name | {name: since, kind: entity | {name: amount, kind: entity |"
                        + " features[3] 'amount': feature 'amount' is declared twice",
            })
    void refusesAnInvalidSpecNamingTheEntry(
            String ignored, String from, String to, String message) {
        assertThat(SMALL).contains(from);
        String broken = SMALL.replace(from, to);

        assertThatThrownBy(() -> FeatureSpec.parse(broken, "small.yaml"))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageStartingWith("feature spec small.yaml: ")
                .hasMessageContaining(message);
    }

    @Test
    void refusesAMissingBuiltinByName() {
        assertThatThrownBy(() -> FeatureSpec.resolve("builtin:nope"))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("no built-in feature spec 'nope'");
    }
}
