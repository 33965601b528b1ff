//! What a user notices at the command line (issue 9, item 5): a closed pipe, the order of an error's
//! lines, exit codes in `--help`, colour codes in logs, the masked document on a terminal, and the
//! options `sandbox serve` offers.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::{ferry, run};

const PASSPHRASE: &str = "Ferry-test-pass1";

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn mask(home: &Path, document: &str) -> Command {
    let mut cmd = ferry(home);
    cmd.args([
        "plugin",
        "run",
        "palette-mask",
        "--step",
        "mask",
        "--document",
    ])
    .arg(fixture(document));
    cmd
}

#[test]
fn a_reader_that_goes_away_ends_output_quietly() {
    // The export is larger than a pipe's buffer: ferry is still writing when the reader leaves.
    let home = tempfile::tempdir().unwrap();
    let mut child = mask(home.path(), "tests/fixtures/ml-ops-export.json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 10];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("error:"),
        "{err}"
    );
}

#[test]
fn an_error_says_what_failed_then_why_then_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let (code, _, err) = run(ferry(home.path())
        .args(["login", "--env", "prod", "--endpoint", &endpoint])
        .args(["--api-key", "any-key", "-k", PASSPHRASE]));
    assert_eq!(code, 1, "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[0], "error: login to \"prod\" failed; nothing was stored",
        "{err}"
    );
    assert!(lines[1].starts_with("  caused by: "), "{err}");
    assert_eq!(
        lines.last().unwrap(),
        &format!("hint: check the endpoint URL and the network ({endpoint})"),
        "{err}"
    );
    assert_eq!(err.matches("hint:").count(), 1, "{err}");
}

#[test]
fn help_documents_the_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, _) = run(ferry(home.path()).arg("--help"));
    assert_eq!(code, 0);
    for line in [
        "Exit codes:",
        "  0  success",
        "  1  failure",
        "  2  usage error",
        "  3  validation found errors",
        "  4  an approval step denied",
        "  5  some profiles of a bulk run failed",
    ] {
        assert!(out.contains(line), "{line:?} missing: {out}");
    }
    let usage = std::fs::read_to_string(fixture("docs/USAGE.md")).unwrap();
    assert!(
        usage.contains("| 3 | validation found errors"),
        "docs/USAGE.md"
    );
    let (code, _, _) = run(ferry(home.path()).arg("--no-such-flag"));
    assert_eq!(code, 2);
}

#[test]
fn log_lines_carry_no_colour_codes_when_stderr_is_not_a_terminal() {
    let home = tempfile::tempdir().unwrap();
    let (code, _, err) = run(mask(home.path(), "examples/web-stack-export.json").arg("-vv"));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("DEBUG"), "some log lines: {err}");
    assert!(!err.contains('\u{1b}'), "ANSI codes in {err:?}");
}

#[test]
fn the_masked_document_is_indented_on_a_terminal_and_as_masked_in_a_pipe() {
    let home = tempfile::tempdir().unwrap();
    let (code, piped, err) = run(&mut mask(home.path(), "examples/web-stack-export.json"));
    assert_eq!(code, 0, "{err}");
    let original = std::fs::read_to_string(fixture("examples/web-stack-export.json")).unwrap();
    assert_eq!(
        piped.trim_end(),
        original
            .replace("\"s3cr3t-db-pass\"", "\"********\"")
            .trim_end(),
        "in a pipe, the file's own layout with the sensitive variable masked"
    );

    // `script` gives ferry a terminal as stdout (and stderr); what it printed comes back with CRLFs.
    let command = format!(
        "{} plugin run palette-mask --step mask --document {}",
        env!("CARGO_BIN_EXE_ferry"),
        fixture("examples/web-stack-export.json").display()
    );
    let (code, shown, err) = run(Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("FERRY_HOME", home.path())
        .stdin(Stdio::null()));
    assert_eq!(code, 0, "{shown}{err}");
    let shown = shown.replace("\r\n", "\n");
    assert!(shown.contains("{\n  \"metadata\": {\n"), "{shown}");
    assert!(shown.contains("********"), "{shown}");
}

#[test]
fn sandbox_serve_offers_no_passphrase_option() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, _) = run(ferry(home.path()).args(["sandbox", "serve", "--help"]));
    assert_eq!(code, 0);
    assert!(out.contains("--listen"), "{out}");
    assert!(!out.contains("passphrase") && !out.contains("-k,"), "{out}");
    let (code, _, err) = run(ferry(home.path()).args(["sandbox", "serve", "-k", PASSPHRASE]));
    assert_eq!(code, 2, "{err}");
    // Commands that unlock credentials keep it.
    let (_, out, _) = run(ferry(home.path()).args(["profiles", "list", "--help"]));
    assert!(out.contains("-k, --encryption-passphrase"), "{out}");
}
