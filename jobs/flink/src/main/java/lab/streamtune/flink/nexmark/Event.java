package lab.streamtune.flink.nexmark;

/** The generator's envelope: exactly one of person, auction, bid is set, per type. */
public class Event {
    public static final int PERSON = 0;
    public static final int AUCTION = 1;
    public static final int BID = 2;

    public int type;
    public Person person;
    public Auction auction;
    public Bid bid;

    public Event() {}

    public long timestamp() {
        switch (type) {
            case PERSON:
                return person.dateTime;
            case AUCTION:
                return auction.dateTime;
            default:
                return bid.dateTime;
        }
    }
}
