package lab.streamtune.flink.nexmark;

/** Nexmark person (a new user registering). Public fields and a no-arg constructor: a Flink POJO. */
public class Person {
    public long id;
    public String name;
    public String emailAddress;
    public String creditCard;
    public String city;
    public String state;
    public long dateTime;
    public String extra;

    public Person() {}
}
