//! Native credential providers through the real binary: the example provider (a shared library
//! built by `cargo test`) gives the key that `ferry login` checks and every later command uses,
//! against a sandbox on loopback; and every refusal, each saying how to fix it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::credentials::{PASSPHRASE, run, stderr, stdout};
use crate::credentials_sandbox::Sandbox;
use crate::support::ferry;

const EXAMPLE: &str = "ferry_credential_file";

/// A shared library `cargo test` built for the host's dev-dependencies (in `deps/` beside the
/// binary: cargo always writes it there, and copies it up only when it rebuilds it).
fn built_library(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_ferry")).parent().unwrap();
    let path = dir.join("deps").join(format!("lib{name}.so"));
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

/// A home whose policy allows `allow` (TOML) from `<tmp>/providers`, holding copies of `libs`.
fn home_with_providers(tmp: &Path, allow: &str, libs: &[&str]) -> PathBuf {
    let home = tmp.join("home");
    let providers = tmp.join("providers");
    fs::create_dir_all(&home).unwrap();
    fs::create_dir_all(&providers).unwrap();
    for lib in libs {
        fs::copy(built_library(lib), providers.join(format!("lib{lib}.so"))).unwrap();
    }
    fs::write(
        home.join("policy.toml"),
        format!(
            "# native providers\n[credential-providers]\nallow = {allow}\ndir = \"../providers\"\n"
        ),
    )
    .unwrap();
    home
}

/// `ferry login` of environment `env` at `endpoint` through `provider` (`NAME[:REF]`).
fn login(home: &Path, env: &str, endpoint: &str, provider: &str) -> Output {
    run(ferry(home)
        .args(["login", "--env", env, "--endpoint", endpoint])
        .args(["--project", "prod", "--credential-provider", provider])
        .env("PALETTE_ENCRYPTION_PASSWORD", PASSPHRASE))
}

/// A command of `home` with the passphrase in the environment.
fn ferry_k(home: &Path, args: &[&str]) -> Output {
    run(ferry(home)
        .args(args)
        .env("PALETTE_ENCRYPTION_PASSWORD", PASSPHRASE))
}

#[test]
fn login_then_export_with_the_key_the_provider_gives_and_none_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(&tmp.path().join("sandbox-data"), &[]);
    let home = home_with_providers(tmp.path(), &format!("[\"{EXAMPLE}\"]"), &[EXAMPLE]);
    let admin = sandbox.key("acme", "admin");
    let vault = tmp.path().join("vault");
    fs::write(&vault, format!("# the stand-in vault\nprod={admin}\n")).unwrap();
    let provider = format!("{EXAMPLE}:{}", vault.display());

    let out = login(&home, "prod", &sandbox.url, &provider);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("no API key: credential provider ferry_credential_file gives it"),
        "{}",
        stdout(&out)
    );
    let config = fs::read_to_string(home.join("config.yaml")).unwrap();
    assert!(!config.contains(&admin), "{config}");
    assert!(config.contains("name: ferry_credential_file"), "{config}");

    // A profile to export, put into project "prod" through the API.
    let client = ferry::palette::Client::new(
        &sandbox.url,
        ferry::palette::ApiKey::new(admin.clone()).unwrap(),
        ferry::palette::Scope::Project(sandbox.project_uid("acme", "prod")),
        &ferry::palette::ClientOptions::default(),
    )
    .unwrap();
    let doc = serde_json::json!({"metadata": {"name": "web-stack"}, "spec": {"version": "1.2.0",
        "template": {"type": "add-on", "cloudType": "all", "packs": []}}});
    ferry::palette::block_on(client.post_json::<serde_json::Value>(
        "/v1/clusterprofiles/import",
        &[],
        doc.to_string(),
    ))
    .unwrap()
    .unwrap();

    let exported = tmp.path().join("web.json");
    let export = |home: &Path| {
        ferry_k(
            home,
            &[
                "export",
                "web-stack@1.2.0",
                "--env",
                "prod",
                "-o",
                exported.to_str().unwrap(),
            ],
        )
    };
    let out = export(&home);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(fs::read_to_string(&exported).unwrap().contains("web-stack"));
    assert!(!stderr(&out).contains(&admin) && !stdout(&out).contains(&admin));

    // The key is asked for at every run, not kept: a key Palette rejects is what the next run sends.
    fs::write(&vault, "prod=0000000000000000000000000000000000000000\n").unwrap();
    let out = ferry_k(&home, &["profiles", "list"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out)
            .contains("if a credential provider gives it, fix the key where the provider reads it"),
        "{}",
        stderr(&out)
    );

    // The provider's own error is shown, with what to do.
    fs::write(&vault, "staging=abc\n").unwrap();
    let out = export(&home);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(
            "credential provider \"ferry_credential_file\" gave no API key for environment \"prod\""
        ) && err.contains("has no line `prod=API_KEY`: add one")
            && err.contains("hint: fix what the provider says"),
        "{err}"
    );

    // The entry is bound to its provider like a stored key to its endpoint: pointing it at
    // another reference by hand is refused before any provider is asked.
    fs::write(&vault, format!("prod={admin}\n")).unwrap();
    let edited = config.replace(
        &format!("reference: {}", vault.display()),
        "reference: /elsewhere",
    );
    assert_ne!(edited, config);
    fs::write(home.join("config.yaml"), edited).unwrap();
    let out = export(&home);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("does not open in this entry"),
        "{}",
        stderr(&out)
    );
}

/// `ferry login` through `provider` with `env` set, expected to fail before anything is stored;
/// returns its stderr.
fn refused(home: &Path, provider: &str, env: &[(&str, &str)]) -> String {
    let mut cmd = ferry(home);
    cmd.args(["login", "--env", "prod", "--endpoint", "http://127.0.0.1:9"])
        .args(["--credential-provider", provider])
        .env("PALETTE_ENCRYPTION_PASSWORD", PASSPHRASE);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(&mut cmd);
    assert_eq!(out.status.code(), Some(1), "{provider}: {}", stdout(&out));
    assert!(
        !home.join("config.yaml").exists(),
        "{provider}: nothing is stored"
    );
    stderr(&out)
}

fn assert_says(err: &str, parts: &[&str]) {
    for part in parts {
        assert!(err.contains(part), "expected {part:?} in:\n{err}");
    }
}

#[test]
fn every_refusal_says_how_to_fix_it() {
    let tmp = tempfile::tempdir().unwrap();
    let home = home_with_providers(
        tmp.path(),
        "[\"ferry_test_abi_only\", \"ferry_test_not_a_provider\", \"linked\", \"junk\", \"absent\", \"ferry_credential_file\"]",
        &["ferry_test_abi_only", "ferry_test_not_a_provider", EXAMPLE],
    );
    let providers = tmp.path().join("providers");

    // The ABI version is asked first: a provider of another major, or of a newer minor, is
    // refused on that ground (this library lacks the key function too, which is never looked up).
    let err = refused(
        &home,
        "ferry_test_abi_only",
        &[("FERRY_TEST_PROVIDER_ABI", "2.0.0")],
    );
    assert_says(
        &err,
        &[
            "speaks provider ABI 2.0.0 and this ferry speaks 1.0.0 (the major versions must match)",
            "rebuild the provider against ABI 1.x",
        ],
    );
    assert!(!err.contains("ferry_credential_provider_get_key"), "{err}");
    let err = refused(
        &home,
        "ferry_test_abi_only",
        &[("FERRY_TEST_PROVIDER_ABI", "1.1.0")],
    );
    assert_says(
        &err,
        &[
            "speaks provider ABI 1.1.0, newer than this ferry's 1.0.0",
            "upgrade ferry",
        ],
    );
    let err = refused(
        &home,
        "ferry_test_abi_only",
        &[("FERRY_TEST_PROVIDER_ABI", "one")],
    );
    assert_says(
        &err,
        &["\"one\", which is not a semver version", "rebuild it"],
    );

    // The right version but no key function.
    let err = refused(
        &home,
        "ferry_test_abi_only",
        &[("FERRY_TEST_PROVIDER_ABI", "1.0.0")],
    );
    assert_says(
        &err,
        &[
            "says it speaks provider ABI 1.0.0 but has no `ferry_credential_provider_get_key` symbol",
            "rebuild it with that function",
        ],
    );

    // A real shared library that is not a provider; a file that is not a library at all.
    let err = refused(&home, "ferry_test_not_a_provider", &[]);
    assert_says(
        &err,
        &[
            "is not a ferry credential provider: it has no `ferry_credential_provider_abi` symbol",
            "examples/credential-provider",
        ],
    );
    fs::write(providers.join("libjunk.so"), "not a library\n").unwrap();
    let err = refused(&home, "junk", &[]);
    assert_says(
        &err,
        &[
            "cannot be loaded as a shared library",
            "built for this system",
        ],
    );

    // A symlink in the directory that leads out of it; a library that is not there.
    std::os::unix::fs::symlink(built_library(EXAMPLE), providers.join("liblinked.so")).unwrap();
    let err = refused(&home, "linked", &[]);
    assert_says(
        &err,
        &[
            "leads outside the providers directory",
            "copy the library into it",
        ],
    );
    let err = refused(&home, "absent", &[]);
    assert_says(
        &err,
        &[
            "there is no provider \"absent\" in",
            "build it and copy its library there",
        ],
    );

    // A name is never a path.
    let err = refused(&home, "../providers/ferry_credential_file", &[]);
    assert_says(&err, &["is not allowed", "never by a path"]);

    // The provider's own failure, in its words.
    let err = refused(
        &home,
        EXAMPLE,
        &[("FERRY_CREDENTIAL_FILE", "/no/such/vault")],
    );
    assert_says(
        &err,
        &[
            "gave no API key for environment \"prod\": cannot read the keys file /no/such/vault",
            "hint: fix what the provider says",
        ],
    );

    // A provider the policy does not list; a policy that does not opt in at all.
    fs::write(
        home.join("policy.toml"),
        "[credential-providers]\nallow = [\"vault\"]\ndir = \"../providers\"\n",
    )
    .unwrap();
    let err = refused(&home, EXAMPLE, &[]);
    assert_says(
        &err,
        &[
            "the policy does not allow that provider (it allows only vault)",
            "add \"ferry_credential_file\" to `allow` under [credential-providers]",
            "policy.toml:2",
        ],
    );
    fs::remove_file(home.join("policy.toml")).unwrap();
    let err = refused(&home, EXAMPLE, &[]);
    assert_says(
        &err,
        &[
            "the policy does not allow native credential providers",
            "[credential-providers]\nallow = [\"ferry_credential_file\"]\ndir = ",
            "native code runs with ferry's full rights",
        ],
    );
}

#[test]
fn a_repository_cannot_opt_in_and_policy_check_and_show_know_the_section() {
    let tmp = tempfile::tempdir().unwrap();
    let home = home_with_providers(tmp.path(), "true", &[EXAMPLE]);

    let out = run(ferry(&home).args(["policy", "show", "--output", "json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let section = &shown["credential_providers"];
    assert_eq!(section["allow"], true, "{shown}");
    assert!(
        section["from"].as_str().unwrap().ends_with("policy.toml:3"),
        "{section}"
    );
    assert!(
        section["dir_from"]
            .as_str()
            .unwrap()
            .ends_with("policy.toml:4"),
        "{section}"
    );
    let out = run(ferry(&home).args(["policy", "check"]));
    assert!(out.status.success(), "{}", stderr(&out));

    // A mistake in the section, at its line.
    fs::write(
        home.join("policy.toml"),
        "[credential-providers]\nallow = [\"ok\", \"../bad\"]\ndir = \"../nowhere\"\n",
    )
    .unwrap();
    let out = run(ferry(&home).args(["policy", "check"]));
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("policy.toml:2: [credential-providers] allow: credential provider name \"../bad\" is not allowed"), "{text}");
    assert!(
        text.contains("policy.toml:3: [credential-providers] dir ")
            && text.contains("is not a directory"),
        "{text}"
    );

    // A repository's ferry.toml that opts in is a mistake: ferry would load what the repository ships.
    let repo = tmp.path().join("repo");
    fs::create_dir_all(&repo).unwrap();
    fs::remove_file(home.join("policy.toml")).unwrap();
    fs::write(
        repo.join("ferry.toml"),
        "[credential-providers]\nallow = true\ndir = \"../providers\"\n",
    )
    .unwrap();
    let out = run(ferry(&home).current_dir(&repo).args(["policy", "check"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("ferry.toml:1: [credential-providers] is read only from")
            && stdout(&out).contains("move the section there"),
        "{}",
        stdout(&out)
    );
    let out = run(ferry(&home)
        .current_dir(&repo)
        .args(["login", "--env", "prod", "--endpoint", "http://127.0.0.1:9"])
        .args(["--credential-provider", EXAMPLE])
        .env("PALETTE_ENCRYPTION_PASSWORD", PASSPHRASE));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("is read only from"),
        "{}",
        stderr(&out)
    );
    assert!(!home.join("config.yaml").exists());
}
