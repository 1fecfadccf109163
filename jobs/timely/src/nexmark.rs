//! Nexmark event generator with the semantics of jobs/flink's NexmarkGenerator (shared/reference/nexmark.md
//! section 1): deterministic by event id (the same id always yields the same event, whatever the number of
//! workers), kind = eventId % 50 (0 person, 1..3 auction, 4..49 bid: 1:3:46), ids growing with the event id,
//! and the default hot-key ratios: half of all bids go to the hot auction, 3/4 of bids come from the hot bidder,
//! 3/4 of auctions are sold by the hot seller. Only the timestamp comes from the caller (the source paces
//! events by wall clock and stamps each with the time it was due). Strings are kept as small indices (no
//! 'extra' padding): in one process records are moved, not serialised, so sizes would not change the cost.

use crate::hashing::{mix2, Rng};
use serde::{Deserialize, Serialize};

pub const PROPORTION_DENOMINATOR: u64 = 50;
pub const PERSON_PROPORTION: u64 = 1;
pub const AUCTION_PROPORTION: u64 = 3;
pub const FIRST_PERSON_ID: u64 = 1000;
pub const FIRST_AUCTION_ID: u64 = 1000;
pub const FIRST_CATEGORY_ID: u64 = 10;
pub const NUM_CATEGORIES: u64 = 5;
const HOT_AUCTION_RATIO: u64 = 2;
const HOT_BIDDER_RATIO: u64 = 4;
const HOT_SELLER_RATIO: u64 = 4;
const HOT_BATCH: u64 = 100;
const NUM_IN_FLIGHT_AUCTIONS: u64 = 100;
const NUM_ACTIVE_PEOPLE: u64 = 1000;
const ID_LEAD: u64 = 10;
/// Auctions stay open this long on average (event-time ms), as Nexmark's in-flight horizon.
const AUCTION_HORIZON_MS: u64 = 10_000;

pub const US_STATES: [&str; 6] = ["AZ", "CA", "ID", "OR", "WA", "WY"];
pub const NUM_CITIES: u64 = 10;
pub const NUM_NAMES: u64 = 99;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Person {
    pub id: u64,
    /// Index into first x last names.
    pub name: u32,
    pub city: u8,
    /// Index into US_STATES.
    pub state: u8,
    pub date_time: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Auction {
    pub id: u64,
    pub seller: u64,
    pub category: u64,
    pub initial_bid: u64,
    pub reserve: u64,
    pub date_time: u64,
    pub expires: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Bid {
    pub auction: u64,
    pub bidder: u64,
    pub price: u64,
    /// 0..3 one of the four hot channels, else 4 + channel number.
    pub channel: u32,
    pub date_time: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Event {
    Person(Person),
    Auction(Auction),
    Bid(Bid),
}

pub fn kind_of(event_id: u64) -> u8 {
    let rem = event_id % PROPORTION_DENOMINATOR;
    if rem < PERSON_PROPORTION {
        0
    } else if rem < PERSON_PROPORTION + AUCTION_PROPORTION {
        1
    } else {
        2
    }
}

fn last_base0_person_id(event_id: u64) -> u64 {
    let epoch = event_id / PROPORTION_DENOMINATOR;
    let mut offset = event_id % PROPORTION_DENOMINATOR;
    if offset >= PERSON_PROPORTION {
        offset = PERSON_PROPORTION - 1;
    }
    epoch * PERSON_PROPORTION + offset
}

/// Zero-based id of the last auction created at or before this event (-1 if none yet).
fn last_base0_auction_id(event_id: u64) -> i64 {
    let mut epoch = (event_id / PROPORTION_DENOMINATOR) as i64;
    let mut offset = (event_id % PROPORTION_DENOMINATOR) as i64;
    let pp = PERSON_PROPORTION as i64;
    let ap = AUCTION_PROPORTION as i64;
    if offset < pp {
        epoch -= 1;
        offset = ap - 1;
    } else if offset >= pp + ap {
        offset = ap - 1;
    } else {
        offset -= pp;
    }
    epoch * ap + offset
}

fn next_base0_person_id(event_id: u64, r: &mut Rng) -> u64 {
    let num_people = last_base0_person_id(event_id) + 1;
    let active = num_people.min(NUM_ACTIVE_PEOPLE);
    let n = r.below(active + ID_LEAD);
    num_people - active + n
}

fn next_base0_auction_id(event_id: u64, r: &mut Rng) -> u64 {
    let max = last_base0_auction_id(event_id).max(0) as u64;
    let min = max.saturating_sub(NUM_IN_FLIGHT_AUCTIONS);
    min + r.below(max - min + 1 + ID_LEAD)
}

fn price(r: &mut Rng) -> u64 {
    (10f64.powf(r.unit() * 6.0) * 100.0).round() as u64
}

#[derive(Clone, Copy)]
pub struct Generator {
    seed: u64,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Generator { seed }
    }

    /// The event with this id, stamped with `ts` (event time, ms).
    pub fn next(&self, event_id: u64, ts: u64) -> Event {
        let mut r = Rng::new(mix2(self.seed, event_id));
        match kind_of(event_id) {
            0 => Event::Person(Person {
                id: last_base0_person_id(event_id) + FIRST_PERSON_ID,
                name: r.below(NUM_NAMES) as u32,
                city: r.below(NUM_CITIES) as u8,
                state: r.below(US_STATES.len() as u64) as u8,
                date_time: ts,
            }),
            1 => {
                let seller = if r.below(HOT_SELLER_RATIO) > 0 {
                    (last_base0_person_id(event_id) / HOT_BATCH) * HOT_BATCH
                } else {
                    next_base0_person_id(event_id, &mut r)
                };
                let initial_bid = price(&mut r);
                Event::Auction(Auction {
                    id: last_base0_auction_id(event_id).max(0) as u64 + FIRST_AUCTION_ID,
                    seller: seller + FIRST_PERSON_ID,
                    category: FIRST_CATEGORY_ID + r.below(NUM_CATEGORIES),
                    initial_bid,
                    reserve: initial_bid + price(&mut r),
                    date_time: ts,
                    expires: ts + 1 + r.below(2 * AUCTION_HORIZON_MS),
                })
            }
            _ => {
                let auction = if r.below(HOT_AUCTION_RATIO) > 0 {
                    (last_base0_auction_id(event_id).max(0) as u64 / HOT_BATCH) * HOT_BATCH
                } else {
                    next_base0_auction_id(event_id, &mut r)
                };
                let bidder = if r.below(HOT_BIDDER_RATIO) > 0 {
                    (last_base0_person_id(event_id) / HOT_BATCH) * HOT_BATCH + 1
                } else {
                    next_base0_person_id(event_id, &mut r)
                };
                let price = price(&mut r);
                let channel = if r.below(2) == 0 { r.below(4) as u32 } else { 4 + r.below(10_000) as u32 };
                Event::Bid(Bid { auction: auction + FIRST_AUCTION_ID, bidder: bidder + FIRST_PERSON_ID, price, channel, date_time: ts })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_is_1_3_46_and_deterministic() {
        let g = Generator::new(42);
        let mut counts = [0u64; 3];
        for id in 0..5000 {
            counts[kind_of(id) as usize] += 1;
        }
        assert_eq!(counts, [100, 300, 4600]);
        let a = format!("{:?}", g.next(1234, 7));
        let b = format!("{:?}", g.next(1234, 7));
        assert_eq!(a, b);
    }

    #[test]
    fn half_of_bids_go_to_the_hot_auction() {
        let g = Generator::new(1);
        let (mut hot, mut n) = (0, 0);
        for id in 0..100_000u64 {
            if let Event::Bid(b) = g.next(id, 0) {
                n += 1;
                if (b.auction - FIRST_AUCTION_ID) % HOT_BATCH == 0 {
                    hot += 1;
                }
            }
        }
        let share = hot as f64 / n as f64;
        assert!(share > 0.48 && share < 0.53, "hot auction share {}", share);
    }
}
