package dev.tideline.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        assertThat(spec.version()).isEqualTo(3);
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
                .isEqualTo("cc7e0487ec478d183b854b2154daa393eabf9d1e264bf900b598e85f62847ea6");
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
