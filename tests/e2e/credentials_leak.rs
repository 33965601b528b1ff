//! No secret in clear, anywhere a user or an attacker with the disk could look: after `login`,
//! `profiles list` and `env show` at the most verbose log level, and a secrets value sealed and opened
//! through the same envelope, no file under the home or the test's folder, no stdout, no stderr (the
//! log) holds the API key, the passphrase or the secret value.

use std::fs;
use std::path::Path;
use std::process::Output;

use ferry::config::{Credentials, Store, open, seal};

use crate::credentials::{PASSPHRASE, login, run, stderr};
use crate::credentials_sandbox::Sandbox;
use crate::support::ferry;

const SECRET_VALUE: &str = "bundle-secret-value-5f0c1e";

#[test]
fn no_secret_in_clear_in_files_output_or_logs() {
    let tmp = tempfile::tempdir().unwrap();
    // The sandbox keeps its own keys (it is the server): its data lives outside the scanned folder.
    let server_side = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(server_side.path(), &[]);
    let home = tmp.path().join("home");
    let key = sandbox.key("acme", "admin");

    let mut outputs: Vec<Output> = vec![login(&home, &sandbox, "prod", PASSPHRASE)];
    for args in [
        &["-vv", "profiles", "list"][..],
        &[
            "-vv",
            "profiles",
            "list",
            "--output",
            "json",
            "--project",
            "staging",
        ],
        &["-vv", "env", "show", "prod"],
        &["-vv", "env", "list"],
    ] {
        let out = run(ferry(&home)
            .args(args)
            .env("PALETTE_ENCRYPTION_PASSWORD", PASSPHRASE));
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        outputs.push(out);
    }
    // A failing command's error path too: a bad key at the most verbose level.
    let out = run(ferry(&home)
        .args([
            "-vv",
            "login",
            "--env",
            "bad",
            "--endpoint",
            &sandbox.url,
            "--api-key",
            "not-the-key",
        ])
        .env("PALETTE_ENCRYPTION_PASSWORD", PASSPHRASE));
    assert!(!out.status.success());
    outputs.push(out);
    let log = stderr(&outputs[1]);
    assert!(
        log.contains("palette answered"),
        "-vv logs the requests: {log}"
    );

    // The host's sealing API, on the same key the home uses; the sealed value written to disk.
    let credentials =
        Credentials::unlock(Store::new(home.clone()).load().unwrap(), Some(PASSPHRASE)).unwrap();
    let bundle = tmp.path().join("bundle.sealed");
    let place = "a test bundle";
    fs::write(
        &bundle,
        seal(credentials.key(), SECRET_VALUE.as_bytes(), place),
    )
    .unwrap();
    let opened = open(
        credentials.key(),
        &fs::read_to_string(&bundle).unwrap(),
        place,
    )
    .unwrap();
    assert_eq!(opened.as_slice(), SECRET_VALUE.as_bytes());
    assert!(
        format!("{credentials:?}").len() < 200
            && !format!("{:?}", credentials.key()).contains(&key)
    );

    let needles = [key.as_str(), PASSPHRASE, SECRET_VALUE];
    let mut scanned = 0;
    for file in files_under(tmp.path()) {
        let bytes = fs::read(&file).unwrap();
        for needle in needles {
            assert!(
                !contains(&bytes, needle.as_bytes()),
                "{} holds a secret in clear",
                file.display()
            );
        }
        scanned += 1;
    }
    assert!(scanned >= 2, "the config and the bundle were scanned");
    for (i, out) in outputs.iter().enumerate() {
        for needle in needles {
            assert!(
                !contains(&out.stdout, needle.as_bytes()),
                "stdout of command {i} holds a secret"
            );
            assert!(
                !contains(&out.stderr, needle.as_bytes()),
                "stderr (log) of command {i} holds a secret"
            );
        }
    }
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
