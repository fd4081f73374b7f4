package dev.tideline.simulator;

import dev.tideline.simulator.Population.Customer;
import dev.tideline.simulator.Population.Terminal;
import dev.tideline.simulator.Records.AccountRow;
import dev.tideline.simulator.Records.Chargeback;
import dev.tideline.simulator.Records.Payment;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * The seeded payment process, in event time: payments of the population at the configured rate
 * (following a daily rhythm), the five fraud scenarios planted among them, accounts opened along
 * the way and the chargebacks of every fraud, reported after a delay. {@link #advance} hands out
 * the events up to a time, in time order; how the time is advanced (all of history at once, or a
 * few milliseconds at a time when live) does not change what is drawn, so the same seed and start
 * always give the same events.
 */
public final class PaymentSimulator {

    /** Something that happens at a time. */
    public sealed interface Event permits Opened, Paid, Reported {
        long time();
    }

    /** An account is opened: its row is written to the accounts table. */
    public record Opened(AccountRow row) implements Event {
        @Override
        public long time() {
            return row.createdAt();
        }
    }

    /** A payment is made. */
    public record Paid(Payment payment) implements Event {
        @Override
        public long time() {
            return payment.eventTime();
        }
    }

    /** A fraud's chargeback is reported. */
    public record Reported(Chargeback chargeback) implements Event {
        @Override
        public long time() {
            return chargeback.reportedAt();
        }
    }

    private record Scheduled(long time, long order, Event event) {}

    private final SimulationSettings settings;
    private final long start;
    private final Random random;
    private final Population population;
    private final PriorityQueue<Scheduled> queue =
            new PriorityQueue<>(
                    (a, b) ->
                            a.time != b.time
                                    ? Long.compare(a.time, b.time)
                                    : Long.compare(a.order, b.order));
    private final long[] terminalCompromisedUntil;
    private final long[] cardCompromisedUntil;
    private final String txnPrefix;
    private final double maxRate;
    private final double outlierProbability;
    private final double terminalCompromisesPerMs;
    private final double cardCompromisesPerMs;
    private final double burstsPerMs;
    private final double fraudAccountsPerMs;

    private double nextPayment;
    private double nextTerminalCompromise;
    private double nextCardCompromise;
    private double nextBurst;
    private double nextFraudAccount;
    private long order;
    private long payments;
    private long fraudAccounts;

    /**
     * @param start the first instant of event time (epoch ms), {@code history} before the present
     *     when a run begins
     */
    public PaymentSimulator(SimulationSettings settings, long start) {
        this.settings = settings;
        this.start = start;
        this.random = new Random(settings.seed());
        this.txnPrefix = "tx-" + settings.seed() + "-";
        long joinUntil = start + settings.history().toMillis() + 3_600_000L;
        this.population = new Population(settings, start, joinUntil, random);
        this.terminalCompromisedUntil = new long[population.terminals.length];
        this.cardCompromisedUntil = new long[population.customers.length];
        double rate = settings.ratePerSecond() / 1000.0; // per ms
        double f = settings.fraudRate();
        this.maxRate = rate * 1.5;
        this.outlierProbability = f * settings.share(FraudScenario.AMOUNT_OUTLIER);
        double compromise = settings.compromise().toMillis();
        // Payments at a compromised terminal are fraud: about f·share of them means f·share of
        // the terminals compromised at a time. A compromised card makes a third of its payments
        // fraudulent: 3·f·share of the cards compromised at a time.
        this.terminalCompromisesPerMs =
                f
                        * settings.share(FraudScenario.COMPROMISED_TERMINAL)
                        * population.terminals.length
                        / compromise;
        this.cardCompromisesPerMs =
                3
                        * f
                        * settings.share(FraudScenario.COMPROMISED_CARD)
                        * population.customers.length
                        / compromise;
        // A burst is 4.5 small payments and a large one; a fraud account makes 3.5 payments.
        this.burstsPerMs = f * settings.share(FraudScenario.CARD_TESTING) * rate / 5.5;
        this.fraudAccountsPerMs = f * settings.share(FraudScenario.NEW_ACCOUNT) * rate / 3.5;
        this.nextPayment = start + exponential(maxRate);
        this.nextTerminalCompromise = start + exponential(terminalCompromisesPerMs);
        this.nextCardCompromise = start + exponential(cardCompromisesPerMs);
        this.nextBurst = start + exponential(burstsPerMs);
        this.nextFraudAccount = start + exponential(fraudAccountsPerMs);
        for (Customer c : population.customers) {
            if (c.account().createdAt() >= start) {
                schedule(new Opened(c.account()));
            }
        }
    }

    /** The accounts that exist when the simulation starts: write them before anything else. */
    public List<AccountRow> initialAccounts() {
        return population.accountsOpenedBefore(start);
    }

    /** Every account opened before {@code time}, those opened during the run included. */
    public List<AccountRow> accountsOpenedBefore(long time) {
        return population.accountsOpenedBefore(time);
    }

    public long start() {
        return start;
    }

    /** The events before {@code until} (epoch ms) not handed out yet, in time order. */
    public List<Event> advance(long until) {
        List<Event> out = new ArrayList<>();
        while (true) {
            double next =
                    Math.min(
                            Math.min(nextPayment, nextTerminalCompromise),
                            Math.min(Math.min(nextCardCompromise, nextBurst), nextFraudAccount));
            Scheduled due = queue.peek();
            if (due != null && due.time <= next) {
                if (due.time >= until) {
                    return out;
                }
                out.add(queue.poll().event);
                continue;
            }
            if (next >= until) {
                return out;
            }
            long t = (long) next;
            if (next == nextPayment) {
                nextPayment += exponential(maxRate);
                if (random.nextDouble() * 1.5 < rhythm(t)) {
                    payment(t, out);
                }
            } else if (next == nextTerminalCompromise) {
                nextTerminalCompromise += exponential(terminalCompromisesPerMs);
                terminalCompromisedUntil[random.nextInt(terminalCompromisedUntil.length)] =
                        t + settings.compromise().toMillis();
            } else if (next == nextCardCompromise) {
                nextCardCompromise += exponential(cardCompromisesPerMs);
                cardCompromisedUntil[random.nextInt(cardCompromisedUntil.length)] =
                        t + settings.compromise().toMillis();
            } else if (next == nextBurst) {
                nextBurst += exponential(burstsPerMs);
                cardTesting(t);
            } else {
                nextFraudAccount += exponential(fraudAccountsPerMs);
                fraudAccount(t);
            }
        }
    }

    /** The daily rhythm: 1.5 times the average rate in the afternoon, half of it at night (UTC). */
    static double rhythm(long time) {
        double hour = Math.floorMod(time, 86_400_000L) / 3_600_000.0; // UTC
        return 1 + 0.5 * Math.sin(2 * Math.PI * (hour - 9) / 24);
    }

    private void payment(long t, List<Event> out) {
        Customer c = population.pick(random);
        for (int tries = 0; c.eligibleFrom() > t && tries < 20; tries++) {
            c = population.pick(random);
        }
        if (c.eligibleFrom() > t) {
            return;
        }
        int terminalIndex = c.terminals()[random.nextInt(c.terminals().length)];
        Terminal terminal = population.terminals[terminalIndex];
        double amount = amount(c);
        FraudScenario scenario = null;
        if (terminalCompromisedUntil[terminalIndex] > t) {
            scenario = FraudScenario.COMPROMISED_TERMINAL;
        } else if (cardCompromisedUntil[c.index()] > t && random.nextInt(3) == 0) {
            scenario = FraudScenario.COMPROMISED_CARD;
            amount *= 5;
        } else if (random.nextDouble() < outlierProbability) {
            scenario = FraudScenario.AMOUNT_OUTLIER;
            amount = c.meanAmount() * (6 + random.nextDouble() * 6);
        }
        Payment p =
                new Payment(
                        nextTxnId(),
                        c.id(),
                        terminal.id(),
                        minor(amount),
                        Population.CURRENCY,
                        terminal.country(),
                        channel(c.channelMix()),
                        t,
                        scenario);
        out.add(new Paid(p));
        chargeback(p);
    }

    /** Small online payments abroad, about 15 s apart, then a large one. */
    private void cardTesting(long t) {
        Customer c = population.pick(random);
        if (c.eligibleFrom() > t) {
            return;
        }
        String country = Population.FOREIGN[random.nextInt(Population.FOREIGN.length)];
        String merchant = String.format("web-%03d", random.nextInt(200));
        int small = 3 + random.nextInt(4);
        long at = t;
        for (int i = 0; i <= small; i++) {
            double amount =
                    i < small
                            ? 0.5 + random.nextDouble() * 2.5
                            : Math.max(300 + random.nextDouble() * 1200, c.meanAmount() * 10);
            Payment p =
                    new Payment(
                            nextTxnId(),
                            c.id(),
                            merchant,
                            minor(amount),
                            Population.CURRENCY,
                            country,
                            "ECOMMERCE",
                            at,
                            FraudScenario.CARD_TESTING);
            schedule(new Paid(p));
            chargeback(p);
            at += 1 + (long) exponential(1 / 15_000.0);
        }
    }

    /** An account opened to defraud: two to five large payments from a minute after opening. */
    private void fraudAccount(long t) {
        String id = String.format("acct-n%05d", fraudAccounts++);
        double x = random.nextDouble() * 100;
        long limit = 100_000 + 100_000L * random.nextInt(40);
        AccountRow row =
                new AccountRow(id, t, limit, Population.country(x), Population.tier(random), t);
        schedule(new Opened(row));
        int count = 2 + random.nextInt(4);
        long at = t + 60_000;
        for (int i = 0; i < count; i++) {
            at += (long) exponential(1 / 45_000.0);
            boolean online = random.nextDouble() < 0.7;
            Terminal terminal = population.terminals[random.nextInt(population.terminals.length)];
            Payment p =
                    new Payment(
                            nextTxnId(),
                            id,
                            online ? String.format("web-%03d", random.nextInt(200)) : terminal.id(),
                            Math.round(limit * (0.5 + random.nextDouble() * 0.5)),
                            Population.CURRENCY,
                            online ? row.homeCountry() : terminal.country(),
                            online ? "ECOMMERCE" : "CARD_PRESENT",
                            at,
                            FraudScenario.NEW_ACCOUNT);
            schedule(new Paid(p));
            chargeback(p);
        }
    }

    private void chargeback(Payment p) {
        if (!p.fraud()) {
            return;
        }
        long min = settings.chargebackMin().toMillis();
        long max = settings.chargebackMax().toMillis();
        long delay = min + (long) (random.nextDouble() * (max - min));
        schedule(
                new Reported(
                        new Chargeback(
                                p.txnId(),
                                p.accountId(),
                                p.merchantId(),
                                true,
                                p.eventTime() + delay)));
    }

    private void schedule(Event event) {
        queue.add(new Scheduled(event.time(), order++, event));
    }

    private double amount(Customer c) {
        double a = c.meanAmount() + random.nextGaussian() * c.stdAmount();
        return a < 0.5 ? 0.5 + random.nextDouble() * c.meanAmount() / 4 : a;
    }

    private String channel(double[] mix) {
        double r = random.nextDouble();
        for (int i = 0; i < mix.length; i++) {
            r -= mix[i];
            if (r < 0) {
                return Population.CHANNELS[i];
            }
        }
        return Population.CHANNELS[0];
    }

    private String nextTxnId() {
        String n = Long.toString(payments++);
        return txnPrefix + "000000000".substring(Math.min(9, n.length())) + n;
    }

    private static long minor(double amount) {
        return Math.max(1, Math.round(amount * 100));
    }

    /** Exponentially distributed gap at {@code ratePerMs}; never zero. */
    private double exponential(double ratePerMs) {
        if (ratePerMs <= 0) {
            return Double.POSITIVE_INFINITY;
        }
        return -Math.log(1 - random.nextDouble()) / ratePerMs;
    }
}
