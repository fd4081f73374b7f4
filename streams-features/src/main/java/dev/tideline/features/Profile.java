package dev.tideline.features;

import dev.tideline.schemas.avro.Account;

/** The account fields the profile features read. */
record Profile(long createdAtMs, long creditLimitMinor, String homeCountry, int riskTier) {

    static Profile of(Account a) {
        return new Profile(
                a.getCreatedAt().toEpochMilli(),
                a.getCreditLimitMinor(),
                a.getHomeCountry(),
                a.getRiskTier().ordinal());
    }
}
