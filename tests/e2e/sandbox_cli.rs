//! `ferry sandbox serve` as a user runs it: one JSON ready line, keys that survive a restart, a clean
//! exit on SIGTERM, clear errors for bad flags.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use serde_json::Value;

use crate::sandbox_support::{Api, small_profile};
use crate::support::ferry;

/// Starts the binary and reads its ready line.
fn serve(home: &std::path::Path, args: &[&str]) -> (Child, Value) {
    serve_on(home, "127.0.0.1:0", args)
}

/// Starts the binary listening on `listen` and reads its ready line.
pub fn serve_on(home: &std::path::Path, listen: &str, args: &[&str]) -> (Child, Value) {
    let mut child = ferry(home)
        .args(["sandbox", "serve", "--listen", listen])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("ready line is not JSON ({e}): {line:?}"));
    (child, ready)
}

fn stop(mut child: Child) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "the sandbox exits 0 on SIGTERM: {exit:?}");
}

#[tokio::test]
async fn sandbox_cli_prints_one_ready_line_and_keeps_keys_across_restarts() {
    let home = tempfile::tempdir().unwrap();
    let (child, ready) = serve(
        home.path(),
        &["--print-keys", "--api-key", "globex/read-only:cli-key-1"],
    );
    let url = ready["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    let tenants = ready["tenants"].as_array().unwrap();
    assert!(tenants.len() >= 2);
    let acme = &tenants[0];
    assert_eq!(acme["name"], "acme");
    let projects: Vec<&str> = acme["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(projects, ["Default", "prod", "staging"]);
    let roles: Vec<&str> = acme["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["admin", "read-only"]);
    assert!(
        acme["keys"][0]["permissions"]
            .as_array()
            .unwrap()
            .contains(&Value::from("clusterProfile.create"))
    );
    assert!(
        !acme["keys"][1]["permissions"]
            .as_array()
            .unwrap()
            .contains(&Value::from("clusterProfile.create"))
    );
    let globex_keys: Vec<&str> = tenants[1]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    assert!(globex_keys.contains(&"cli-key-1"));
    assert!(
        home.path().join("sandbox/sandbox.db").is_file(),
        "data defaults to <FERRY_HOME>/sandbox"
    );

    let admin = Api::new(
        &url,
        Some(acme["keys"][0]["key"].as_str().unwrap().to_string()),
    );
    admin.import(&small_profile("kept", "a: 1")).await;
    let cli_key = Api::new(&url, Some("cli-key-1".into()));
    assert_eq!(
        cli_key.get("/v1/users/info").await.expect(200).json()["orgName"],
        "globex"
    );
    stop(child);

    // Restart without --print-keys: no keys printed, the stored ones still work, the data is there,
    // and the run-only key is gone.
    let (child, again) = serve(home.path(), &[]);
    assert!(again["tenants"][0].get("keys").is_none());
    assert_eq!(again["tenants"][0]["uid"], acme["uid"]);
    let url = again["url"].as_str().unwrap();
    let admin = Api::new(
        url,
        Some(acme["keys"][0]["key"].as_str().unwrap().to_string()),
    );
    assert_eq!(admin.profile_names().await, ["kept"]);
    Api::new(url, Some("cli-key-1".into()))
        .get("/v1/users/info")
        .await
        .expect(401);
    stop(child);
}

#[test]
fn sandbox_cli_refuses_bad_flags_with_a_clear_message() {
    let home = tempfile::tempdir().unwrap();
    for (args, says) in [
        (vec!["--fault-error-rate", "2"], "between 0 and 1"),
        (vec!["--rate-limit", "fast"], "general=RATE/BURST"),
        (vec!["--api-key", "acme/owner:k"], "unknown role 'owner'"),
        (vec!["--api-key", "initech:k"], "tenant 'initech'"),
        (
            vec!["--seed-dir", "/nonexistent/packs"],
            "/nonexistent/packs",
        ),
    ] {
        let out = ferry(home.path())
            .args(["sandbox", "serve", "--listen", "127.0.0.1:0"])
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(out.stdout.is_empty(), "no ready line for {args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
