//! What the bulk migration tests share: a source seeded with many profiles, and the checks of
//! what arrived (each profile once, as sent) and of the journal a run leaves.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::sandbox_support::{Api, Sandbox, small_profile};

/// Profile `i`: one pack whose values say which profile it is; every tenth uses a macro.
pub fn profile(i: usize) -> Value {
    let mut values = format!("marker: p{i:04}\nreplicas: {}\n", i % 7);
    if i.is_multiple_of(10) {
        values.push_str("region: '{{.spectro.macro.region}}'\n");
    }
    small_profile(&format!("bulk-{i:04}"), &values)
}

/// A sandbox holding profiles `0..n`, and the macro they use.
pub async fn seeded_source(n: usize) -> Sandbox {
    let source = Sandbox::start().await;
    let admin = source.admin();
    let tenant = source.running.tenant("acme").unwrap().uid.clone();
    admin
        .post(
            &format!("/v1/tenants/{tenant}/macros"),
            &json!({"macros": [{"name": "region", "value": "eu-west-1"}]}),
        )
        .await
        .expect(204);
    for i in 0..n {
        admin.import(&profile(i)).await;
    }
    source
}

/// GET that waits out the sandbox's own rate limit (the test's requests count against it too).
pub async fn get_patiently(api: &Api, path: &str) -> Value {
    loop {
        let reply = api.get(path).await;
        if reply.status.as_u16() == 429 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        reply.expect(200);
        return reply.json();
    }
}

/// Name → uids of the target's profiles.
pub async fn names(api: &Api) -> BTreeMap<String, Vec<String>> {
    let list = get_patiently(api, "/v1/dashboard/clusterprofiles/metadata").await;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for item in list["items"].as_array().unwrap() {
        out.entry(item["metadata"]["name"].as_str().unwrap().to_string())
            .or_default()
            .push(item["metadata"]["uid"].as_str().unwrap().to_string());
    }
    out
}

/// Every profile `0..n` is in the target exactly once, its values as the source had them.
pub async fn assert_each_once_as_sent(api: &Api, n: usize) {
    let there = names(api).await;
    assert_eq!(there.len(), n, "profiles in the target: {:?}", there.keys());
    for i in 0..n {
        let name = format!("bulk-{i:04}");
        let uids = &there[&name];
        assert_eq!(uids.len(), 1, "{name} is there {} times", uids.len());
        let doc = get_patiently(
            api,
            &format!("/v1/clusterprofiles/{}/export?format=json", uids[0]),
        )
        .await;
        let values = doc["spec"]["template"]["packs"][0]["values"]
            .as_str()
            .unwrap();
        assert_eq!(
            values,
            profile(i)["spec"]["template"]["packs"][0]["values"]
                .as_str()
                .unwrap(),
            "{name}'s values"
        );
    }
}

/// Checks that a journal file opens, is whole, and is private to its owner.
pub fn assert_journal_whole(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if !path.exists() {
        return;
    }
    let db = rusqlite::Connection::open(path).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok", "{}", path.display());
    let mode = std::fs::metadata(path).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "{} is {mode:o}", path.display());
}

/// Profiles the journal does not have as done (all of them before it has a plan).
pub fn journal_left(path: &Path) -> i64 {
    assert_journal_whole(path);
    if !path.exists() {
        return i64::MAX;
    }
    let db = rusqlite::Connection::open(path).unwrap();
    // A run killed as it opened the journal may have left the file without its tables.
    let tables: i64 = db
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'profile'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if tables == 0 {
        return i64::MAX;
    }
    let planned: i64 = db
        .query_row("SELECT count(*) FROM profile", [], |r| r.get(0))
        .unwrap();
    let done: i64 = db
        .query_row(
            "SELECT count(*) FROM profile WHERE state IN ('verified', 'skipped')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if planned == 0 {
        i64::MAX
    } else {
        planned - done
    }
}

/// A ferry process running in the background, its output going to files (no pipe to fill).
pub struct Background {
    pub child: std::process::Child,
    out: tempfile::NamedTempFile,
    err: tempfile::NamedTempFile,
}

impl Background {
    pub fn spawn(mut cmd: std::process::Command) -> Background {
        let (out, err) = (
            tempfile::NamedTempFile::new().unwrap(),
            tempfile::NamedTempFile::new().unwrap(),
        );
        let child = cmd
            .stdin(std::process::Stdio::null())
            .stdout(out.reopen().unwrap())
            .stderr(err.reopen().unwrap())
            .spawn()
            .expect("ferry starts");
        Background { child, out, err }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.err.path()).unwrap_or_default()
    }

    /// Whether it ended by itself.
    pub fn ended(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// SIGKILL: no cleanup, no unwinding.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Waits for its end: exit code, stdout, stderr. Still running after `limit`, it is killed and
    /// fails the test as a hang.
    pub async fn wait(mut self, limit: Duration, what: &str) -> (i32, String, String) {
        let deadline = tokio::time::Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if tokio::time::Instant::now() > deadline {
                let err = self.stderr();
                self.kill();
                panic!("{what} did not end within {limit:?} (a hang?); its stderr:\n{err}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let out = std::fs::read_to_string(self.out.path()).unwrap();
        (status.code().unwrap_or(-1), out, self.stderr())
    }
}

impl Drop for Background {
    /// A failing test leaves no ferry behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ferry diff` finds nothing between the source's and the target's `name@1.0.0`, for each name:
/// the read-back comparison ferry itself makes (secrets by digest).
pub async fn assert_same_by_diff(home: &Path, from: &str, to: &str, names: &[String]) {
    for name in names {
        let mut cmd = crate::steps::ferry_in(home);
        cmd.args(["diff", &format!("{name}@1.0.0"), "--from", from, "--to", to]);
        let (code, out, err) = Background::spawn(cmd)
            .wait(Duration::from_secs(120), &format!("diff {name}"))
            .await;
        assert_eq!(code, 0, "{name} differs in {to}:\n{out}{err}");
    }
}
