package dev.tideline.simulator;

import dev.tideline.simulator.Records.AccountRow;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Customers and terminals on a 100 × 100 map, as in the reference simulator of Le Borgne et al.:
 * each customer pays at the terminals near home, with a spending profile (mean amount and its
 * spread), an activity (relative payments per day), a channel mix and an account row.
 */
final class Population {

    static final String CURRENCY = "EUR";
    static final String[] CHANNELS = {"CARD_PRESENT", "CONTACTLESS", "ECOMMERCE", "ATM"};
    static final String[] FOREIGN = {"US", "GB", "BR", "NG", "TR", "TH", "MX", "AE"};
    private static final long DAY_MS = 86_400_000L;

    /** A customer; {@code eligibleFrom} is when it may start paying (epoch ms). */
    record Customer(
            int index,
            String id,
            double x,
            double y,
            String homeCountry,
            double meanAmount,
            double stdAmount,
            double[] channelMix,
            int[] terminals,
            AccountRow account,
            long eligibleFrom) {}

    /** A terminal: a merchant id at a place. */
    record Terminal(String id, double x, double y, String country) {}

    final Customer[] customers;
    final Terminal[] terminals;
    private final double[] cumulativeActivity;

    /**
     * @param start when the simulation starts (epoch ms); accounts of the first customers were
     *     opened up to years before, and a few customers join later, up to {@code joinUntil}
     */
    Population(SimulationSettings s, long start, long joinUntil, Random random) {
        terminals = new Terminal[s.merchants()];
        for (int i = 0; i < terminals.length; i++) {
            double x = random.nextDouble() * 100;
            double y = random.nextDouble() * 100;
            terminals[i] = new Terminal(String.format("m-%05d", i), x, y, country(x));
        }
        customers = new Customer[s.customers()];
        cumulativeActivity = new double[customers.length];
        int joiners = Math.max(1, customers.length / 33);
        double total = 0;
        for (int i = 0; i < customers.length; i++) {
            double x = random.nextDouble() * 100;
            double y = random.nextDouble() * 100;
            double mean = 5 + random.nextDouble() * 95;
            double std = mean / 2;
            double[] mix = {random.nextDouble(), random.nextDouble(), random.nextDouble(), 0.03};
            double sum = Arrays.stream(mix).sum();
            for (int c = 0; c < mix.length; c++) {
                mix[c] /= sum;
            }
            boolean joiner = i >= customers.length - joiners;
            long opened =
                    joiner
                            ? start + (long) (random.nextDouble() * (joinUntil - start))
                            : start - (long) ((30 + random.nextDouble() * 2_000) * DAY_MS);
            String id = String.format("acct-%06d", i);
            AccountRow account =
                    new AccountRow(
                            id,
                            opened,
                            creditLimitMinor(mean, random),
                            country(x),
                            tier(random),
                            opened);
            customers[i] =
                    new Customer(
                            i,
                            id,
                            x,
                            y,
                            country(x),
                            mean,
                            std,
                            mix,
                            near(x, y),
                            account,
                            joiner ? opened + 60_000 : Long.MIN_VALUE);
            total += 0.2 + random.nextDouble() * 3.8;
            cumulativeActivity[i] = total;
        }
    }

    /** A customer drawn by activity. */
    Customer pick(Random random) {
        double r = random.nextDouble() * cumulativeActivity[cumulativeActivity.length - 1];
        int i = Arrays.binarySearch(cumulativeActivity, r);
        return customers[i >= 0 ? i : -i - 1];
    }

    /** The accounts opened before {@code time}. */
    List<AccountRow> accountsOpenedBefore(long time) {
        List<AccountRow> out = new ArrayList<>();
        for (Customer c : customers) {
            if (c.account().createdAt() < time) {
                out.add(c.account());
            }
        }
        return out;
    }

    /** The country of a place: regions of the map by longitude. */
    static String country(double x) {
        if (x < 40) {
            return "DE";
        } else if (x < 65) {
            return "FR";
        } else if (x < 80) {
            return "NL";
        } else if (x < 90) {
            return "ES";
        }
        return "IT";
    }

    /** A credit limit of 20 to 80 times the mean payment, in whole hundreds of euros. */
    static long creditLimitMinor(double meanAmount, Random random) {
        long euros =
                Math.max(100, Math.round(meanAmount * (20 + random.nextDouble() * 60) / 100) * 100);
        return euros * 100;
    }

    static String tier(Random random) {
        double r = random.nextDouble();
        return r < 0.6 ? "LOW" : r < 0.9 ? "MEDIUM" : "HIGH";
    }

    /** Terminals within a radius that holds about eight of them, at least the nearest three. */
    private int[] near(double x, double y) {
        double radius = Math.sqrt(8 * 100 * 100 / (Math.PI * terminals.length));
        List<Integer> within = new ArrayList<>();
        Integer[] order = new Integer[terminals.length];
        for (int t = 0; t < terminals.length; t++) {
            order[t] = t;
            if (Math.hypot(terminals[t].x() - x, terminals[t].y() - y) <= radius) {
                within.add(t);
            }
        }
        if (within.size() < 3) {
            Arrays.sort(
                    order,
                    (a, b) ->
                            Double.compare(
                                    Math.hypot(terminals[a].x() - x, terminals[a].y() - y),
                                    Math.hypot(terminals[b].x() - x, terminals[b].y() - y)));
            within.clear();
            within.addAll(List.of(order[0], order[1], order[2]));
        }
        return within.stream().mapToInt(Integer::intValue).toArray();
    }
}
