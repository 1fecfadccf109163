package lab.streamtune.flink.nexmark;

/** Nexmark bid. */
public class Bid {
    public long auction;
    public long bidder;
    public long price;
    public String channel;
    public String url;
    public long dateTime;
    public String extra;

    public Bid() {}

    public Bid copy() {
        Bid b = new Bid();
        b.auction = auction;
        b.bidder = bidder;
        b.price = price;
        b.channel = channel;
        b.url = url;
        b.dateTime = dateTime;
        b.extra = extra;
        return b;
    }
}
