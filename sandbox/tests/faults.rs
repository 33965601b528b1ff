//! Injected faults: errors with chosen statuses, 429 bursts, dropped connections and latency, the same
//! for the same seed.

use ferry_sandbox::FaultConfig;

use crate::support::Sandbox;

fn faults(seed: u64) -> FaultConfig {
    FaultConfig {
        seed,
        error_rate: 0.2,
        error_statuses: vec![500, 503],
        latency_ms: (0, 2),
        burst_rate: 0.05,
        burst_len: 3,
        drop_rate: 0.1,
        ..FaultConfig::default()
    }
}

/// What a client sees for `n` sequential requests: a status (with the error code), or "dropped".
async fn outcomes(sb: &Sandbox, n: usize) -> Vec<String> {
    let key = sb
        .running
        .tenant("acme")
        .unwrap()
        .key(ferry_sandbox::Role::Admin)
        .unwrap()
        .to_string();
    // A fresh connection per request, so a dropped one cannot affect the next.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut out = Vec::new();
    for _ in 0..n {
        let sent = http
            .get(format!("{}/v1/users/info", sb.running.url()))
            .header("ApiKey", &key)
            .send()
            .await;
        let outcome = match sent {
            Err(_) => "dropped".to_string(),
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response.headers().contains_key("retry-after");
                match response.text().await {
                    Err(_) => "dropped".to_string(),
                    Ok(_) if status == 200 => "200".to_string(),
                    Ok(body) => {
                        let body: serde_json::Value =
                            serde_json::from_str(&body).expect("Palette's error body");
                        assert!(status != 429 || retry_after, "429 without Retry-After");
                        format!("{status} {}", body["code"].as_str().unwrap())
                    }
                }
            }
        };
        out.push(outcome);
    }
    out
}

#[tokio::test]
async fn sandbox_faults_repeat_with_the_same_seed() {
    let sb = Sandbox::start_with(|c| c.faults = faults(42)).await;
    let first = outcomes(&sb, 120).await;
    for kind in [
        "200",
        "500 InternalError",
        "503 ServiceUnavailable",
        "429 TooManyRequests",
        "dropped",
    ] {
        assert!(first.iter().any(|o| o == kind), "no {kind} in {first:?}");
    }
    // A burst is consecutive 429s.
    let burst_start = first.iter().position(|o| o.starts_with("429")).unwrap();
    assert!(
        first[burst_start..]
            .iter()
            .take(3)
            .all(|o| o.starts_with("429")),
        "{first:?}"
    );

    sb.running.set_faults(faults(42)).unwrap();
    assert_eq!(outcomes(&sb, 120).await, first, "same seed, same faults");

    // Another sandbox with the same seed meets the same faults too.
    let other = Sandbox::start_with(|c| c.faults = faults(42)).await;
    assert_eq!(outcomes(&other, 120).await, first);

    sb.running.set_faults(faults(7)).unwrap();
    assert_ne!(
        outcomes(&sb, 120).await,
        first,
        "another seed, other faults"
    );

    sb.running.set_faults(FaultConfig::default()).unwrap();
    assert!(
        outcomes(&sb, 20).await.iter().all(|o| o == "200"),
        "faults off"
    );
    assert!(
        sb.running
            .set_faults(FaultConfig {
                drop_rate: 2.0,
                ..FaultConfig::default()
            })
            .is_err()
    );
}
