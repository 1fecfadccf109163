package lab.streamtune.flink.nexmark;

import java.io.Serializable;
import java.util.SplittableRandom;

import lab.streamtune.flink.util.Hashing;

/**
 * Nexmark event generator, deterministic by event id (the same id always yields the same event, whatever the
 * source parallelism): the kind of event is eventId % 50 (0 person, 1..3 auction, 4..49 bid: 1:3:46), ids grow
 * with the event id, and the hot auction / bidder / seller follow the default Nexmark ratios (see
 * shared/reference/nexmark.md section 1.2): half of all bids go to the hot auction, 3/4 of bids come from the
 * hot bidder, 3/4 of auctions are sold by the hot seller. Only the timestamp comes from the caller (the source
 * paces events by wall clock and stamps each with the time it was due).
 */
public final class NexmarkGenerator implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final int PROPORTION_DENOMINATOR = 50;
    public static final int PERSON_PROPORTION = 1;
    public static final int AUCTION_PROPORTION = 3;
    public static final long FIRST_PERSON_ID = 1000;
    public static final long FIRST_AUCTION_ID = 1000;
    public static final long FIRST_CATEGORY_ID = 10;
    public static final int NUM_CATEGORIES = 5;
    static final int HOT_AUCTION_RATIO = 2;
    static final int HOT_BIDDER_RATIO = 4;
    static final int HOT_SELLER_RATIO = 4;
    static final int HOT_BATCH = 100;
    static final int NUM_IN_FLIGHT_AUCTIONS = 100;
    static final int NUM_ACTIVE_PEOPLE = 1000;
    static final int ID_LEAD = 10;
    /** Auctions stay open this long on average (event-time ms), as Nexmark's in-flight horizon. */
    static final long AUCTION_HORIZON_MS = 10_000;

    static final String[] FIRST_NAMES = {"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"};
    static final String[] LAST_NAMES = {"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};
    static final String[] US_STATES = {"AZ", "CA", "ID", "OR", "WA", "WY"};
    static final String[] US_CITIES = {
        "Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"
    };
    static final String[] HOT_CHANNELS = {"Google", "Facebook", "Baidu", "Apple"};
    static final String[] HOT_URLS = {
        "https://www.nexmark.com/googl/item.htm?query=1",
        "https://www.nexmark.com/faceb/item.htm?query=1",
        "https://www.nexmark.com/baidu/item.htm?query=1",
        "https://www.nexmark.com/apple/item.htm?query=1"
    };
    /** Average serialised sizes in bytes, reached by padding 'extra'. */
    static final int PERSON_BYTES = 200;
    static final int AUCTION_BYTES = 500;
    static final int BID_BYTES = 100;
    private static final String PAD;

    static {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 1024; i++) sb.append((char) ('a' + (i * 7 + i / 26) % 26));
        PAD = sb.toString();
    }

    private final long seed;

    public NexmarkGenerator(long seed) {
        this.seed = seed;
    }

    public static int kindOf(long eventId) {
        long rem = eventId % PROPORTION_DENOMINATOR;
        if (rem < PERSON_PROPORTION) return Event.PERSON;
        if (rem < PERSON_PROPORTION + AUCTION_PROPORTION) return Event.AUCTION;
        return Event.BID;
    }

    /** Zero-based id of the last person created at or before this event. */
    static long lastBase0PersonId(long eventId) {
        long epoch = eventId / PROPORTION_DENOMINATOR;
        long offset = eventId % PROPORTION_DENOMINATOR;
        if (offset >= PERSON_PROPORTION) offset = PERSON_PROPORTION - 1;
        return epoch * PERSON_PROPORTION + offset;
    }

    /** Zero-based id of the last auction created at or before this event (-1 if none yet). */
    static long lastBase0AuctionId(long eventId) {
        long epoch = eventId / PROPORTION_DENOMINATOR;
        long offset = eventId % PROPORTION_DENOMINATOR;
        if (offset < PERSON_PROPORTION) {
            epoch--;
            offset = AUCTION_PROPORTION - 1;
        } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
            offset = AUCTION_PROPORTION - 1;
        } else {
            offset -= PERSON_PROPORTION;
        }
        return epoch * AUCTION_PROPORTION + offset;
    }

    static long nextBase0PersonId(long eventId, SplittableRandom r) {
        long numPeople = lastBase0PersonId(eventId) + 1;
        long active = Math.min(numPeople, NUM_ACTIVE_PEOPLE);
        long n = r.nextLong(active + ID_LEAD);
        return numPeople - active + n;
    }

    static long nextBase0AuctionId(long eventId, SplittableRandom r) {
        long max = Math.max(lastBase0AuctionId(eventId), 0);
        long min = Math.max(max - NUM_IN_FLIGHT_AUCTIONS, 0);
        return min + r.nextLong(max - min + 1 + ID_LEAD);
    }

    private SplittableRandom random(long eventId) {
        return new SplittableRandom(Hashing.mix(seed, eventId));
    }

    private static String pad(SplittableRandom r, int current, int target) {
        int len = Math.max(0, target - current);
        if (len == 0) return "";
        int start = r.nextInt(PAD.length() - Math.min(len, PAD.length() - 1));
        return PAD.substring(start, Math.min(PAD.length(), start + len));
    }

    /** The event with this id, stamped with timestampMs (event time). */
    public Event next(long eventId, long timestampMs) {
        SplittableRandom r = random(eventId);
        Event e = new Event();
        e.type = kindOf(eventId);
        switch (e.type) {
            case Event.PERSON:
                e.person = person(eventId, timestampMs, r);
                break;
            case Event.AUCTION:
                e.auction = auction(eventId, timestampMs, r);
                break;
            default:
                e.bid = bid(eventId, timestampMs, r);
        }
        return e;
    }

    Person person(long eventId, long ts, SplittableRandom r) {
        Person p = new Person();
        p.id = lastBase0PersonId(eventId) + FIRST_PERSON_ID;
        p.name = FIRST_NAMES[r.nextInt(FIRST_NAMES.length)] + " " + LAST_NAMES[r.nextInt(LAST_NAMES.length)];
        p.emailAddress = "user" + p.id + "@example.com";
        p.creditCard = String.format("%04d %04d %04d %04d", r.nextInt(10000), r.nextInt(10000), r.nextInt(10000), r.nextInt(10000));
        p.city = US_CITIES[r.nextInt(US_CITIES.length)];
        p.state = US_STATES[r.nextInt(US_STATES.length)];
        p.dateTime = ts;
        int size = 8 + p.name.length() + p.emailAddress.length() + p.creditCard.length() + p.city.length() + p.state.length() + 8;
        p.extra = pad(r, size, PERSON_BYTES);
        return p;
    }

    Auction auction(long eventId, long ts, SplittableRandom r) {
        Auction a = new Auction();
        a.id = lastBase0AuctionId(eventId) + FIRST_AUCTION_ID;
        long seller;
        if (r.nextInt(HOT_SELLER_RATIO) > 0) {
            seller = (lastBase0PersonId(eventId) / HOT_BATCH) * HOT_BATCH;
        } else {
            seller = nextBase0PersonId(eventId, r);
        }
        a.seller = seller + FIRST_PERSON_ID;
        a.category = FIRST_CATEGORY_ID + r.nextInt(NUM_CATEGORIES);
        a.initialBid = price(r);
        a.reserve = a.initialBid + price(r);
        a.dateTime = ts;
        a.expires = ts + 1 + r.nextLong(2 * AUCTION_HORIZON_MS);
        a.itemName = "item-" + r.nextInt(100_000);
        a.description = "desc-" + r.nextInt(100_000);
        int size = 8 + a.itemName.length() + a.description.length() + 8 * 7;
        a.extra = pad(r, size, AUCTION_BYTES);
        return a;
    }

    Bid bid(long eventId, long ts, SplittableRandom r) {
        Bid b = new Bid();
        long auction;
        if (r.nextInt(HOT_AUCTION_RATIO) > 0) {
            auction = (lastBase0AuctionId(eventId) / HOT_BATCH) * HOT_BATCH;
        } else {
            auction = nextBase0AuctionId(eventId, r);
        }
        b.auction = Math.max(auction, 0) + FIRST_AUCTION_ID;
        long bidder;
        if (r.nextInt(HOT_BIDDER_RATIO) > 0) {
            bidder = (lastBase0PersonId(eventId) / HOT_BATCH) * HOT_BATCH + 1;
        } else {
            bidder = nextBase0PersonId(eventId, r);
        }
        b.bidder = bidder + FIRST_PERSON_ID;
        b.price = price(r);
        if (r.nextInt(2) == 0) {
            int c = r.nextInt(HOT_CHANNELS.length);
            b.channel = HOT_CHANNELS[c];
            b.url = HOT_URLS[c];
        } else {
            int c = r.nextInt(10_000);
            b.channel = "channel-" + c;
            b.url = "https://www.nexmark.com/item.htm?channel=" + c;
        }
        b.dateTime = ts;
        int size = 8 * 4 + b.channel.length() + b.url.length();
        b.extra = pad(r, size, BID_BYTES);
        return b;
    }

    static long price(SplittableRandom r) {
        return Math.round(Math.pow(10.0, r.nextDouble() * 6.0) * 100.0);
    }
}
