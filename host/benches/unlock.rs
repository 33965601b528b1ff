//! How long unlocking stored credentials takes: one Argon2id derivation with the parameters new keys
//! get, against one AES-256-GCM open of a sealed API key, measured side by side in one run.
//!
//! Run: `cargo bench -p ferry --bench unlock` (release profile).

use std::hint::black_box;
use std::time::{Duration, Instant};

use ferry::config::Passphrase;
use ferry::config::crypto::{KdfParams, Key, open, seal};

fn main() {
    let passphrase = Passphrase::new("Bench-passphrase-1");
    let params = KdfParams::DEFAULT;

    // Warm-up: the first derivation also pays for page faults of the 64 MiB block.
    let key = Key::derive(&passphrase, params, [1; 16]);
    let runs = 7;
    let mut unlocks: Vec<Duration> = (0..runs)
        .map(|i| {
            let started = Instant::now();
            black_box(Key::derive(black_box(&passphrase), params, [i as u8; 16]));
            started.elapsed()
        })
        .collect();
    unlocks.sort();
    let unlock = unlocks[runs / 2];

    let sealed = seal(
        &key,
        b"a-palette-api-key-of-typical-length-0123456789",
        "api-key of a bench environment",
    );
    let opens = 100_000u32;
    let started = Instant::now();
    for _ in 0..opens {
        black_box(
            open(
                black_box(&key),
                black_box(&sealed),
                "api-key of a bench environment",
            )
            .expect("opens"),
        );
    }
    let open_each = started.elapsed() / opens;

    println!(
        "unlock: Argon2id m={} KiB t={} p={}: median {:.1} ms of {runs} (min {:.1} ms, max {:.1} ms)",
        params.m_kib,
        params.t,
        params.p,
        ms(unlock),
        ms(unlocks[0]),
        ms(unlocks[runs - 1])
    );
    println!(
        "open:   AES-256-GCM, one sealed API key (envelope parsed each time): {:.2} us (mean of {opens})",
        ms(open_each) * 1000.0
    );
    println!(
        "ratio:  one unlock costs {:.0} opens",
        unlock.as_secs_f64() / open_each.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
