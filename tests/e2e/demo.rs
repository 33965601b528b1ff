//! `ferry demo`, as a new user runs it first: two sandboxes, findings, fixes, profiles arriving.

use crate::support::{ferry, run};

/// The secrets of the demo's web-stack profile (host/demo/web-stack.json).
const SECRETS: [&str; 6] = [
    "Zm9vYmFyLWRiLXBhc3N3b3Jk",
    "tok-9f8e7d6c5b4a39281716",
    "manifest-pass-42",
    "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
    "ak-live-0123456789",
    "sensitive-var-value",
];

#[test]
fn the_demo_shows_findings_then_fixes_them_and_the_profiles_arrive() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = run(ferry(home.path()).args(["-vv", "demo"]));
    assert_eq!(code, 0, "{out}\n{err}");
    let all = format!("{out}\n{err}");
    // The first run stops at validation with each finding and its fix.
    for expected in [
        "pack istio@1.6.2 is not in registry 'Public Repo' of onprem",
        "--pack-map 'istio@1.6.2=Corp Mirror'",
        "macro 'region' is used",
        "akuity-agent:charts.akuity-agent.akuityApiKeySecret=VALUE",
        "nothing was imported",
    ] {
        assert!(all.contains(expected), "no {expected:?} in:\n{all}");
    }
    // The second imports both, macros created, every value read back; the third sends nothing.
    for expected in [
        "registry \"Public Repo\" mapped to \"Corp Mirror\"",
        "created cluster_prefix, region in onprem",
        "import    ML Ops@1.0.0 into onprem: uid",
        "import    web-stack@1.2.0 into onprem: uid",
        "(5 secret(s) compared by digest",
        "web-stack@1.2.0 is already in onprem as sent",
    ] {
        assert!(all.contains(expected), "no {expected:?} in:\n{all}");
    }
    for secret in SECRETS {
        assert!(!all.contains(secret), "{secret} in clear in:\n{all}");
    }
    // It used a home of its own, and removed it; the user's home is untouched.
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
    let stored = out
        .lines()
        .find_map(|l| l.strip_prefix("Stored in "))
        .and_then(|l| l.strip_suffix(" (API key encrypted)."))
        .expect("the demo's login says where it stored the environment");
    assert!(
        !std::path::Path::new(stored).exists(),
        "{stored} was left behind"
    );
}
