//! Hostile input, against the real binary: broken, deep, huge, ambiguous or wrongly typed
//! documents, YAML bombs inside a pack's values, and paths that are not files, given to `mask`,
//! `validate`, `import`, `plugin run` and (as outputs) `export -o`. Each run must end, with a
//! clear error naming the file (and the line and column where the parser knows them) or a clear
//! finding; no panic; an output file complete or absent; no secret printed. Every file is made
//! here, in a temporary folder.
//!
//! Each ferry run is killed after [`LIMIT`]: a run still going then is a hang (a failure), not a
//! slow machine. Peak memory is sampled and printed; where a bomb would take memory without
//! bound, the assertion is that it stayed far below that.

use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ferry_sandbox::Role;
use serde_json::{Value, json};

use crate::sandbox_support::{Sandbox, small_profile};
use crate::steps::{ferry_in, login};

/// How long a run may take before it is taken for a hang.
const LIMIT: Duration = Duration::from_secs(60);

/// A secret in every document: it must never be printed.
const SECRET: &str = "hunter2-Hostile-9q";

/// One ferry run: exit code, output, peak resident memory.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    peak_mib: u64,
}

/// Runs `cmd` to its end or kills it after [`LIMIT`], sampling its peak memory (`VmHWM`) every
/// few milliseconds. Not `wait4`: the child is spawned from this test process, whose own memory
/// (the big files the tests make) the child's `ru_maxrss` counts from before its exec.
fn bounded(mut cmd: Command) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    cmd.stdin(Stdio::null())
        .stdout(fs::File::create(&out).unwrap())
        .stderr(fs::File::create(&err).unwrap());
    let what = format!("{cmd:?}");
    let mut child = cmd.spawn().expect("ferry starts");
    let status_file = format!("/proc/{}/status", child.id());
    let started = Instant::now();
    let mut peak_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        let hwm = fs::read_to_string(&status_file).ok().and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        });
        peak_kib = peak_kib.max(hwm.unwrap_or(0));
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {LIMIT:?}, killed: {what}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let code = status
        .code()
        .unwrap_or_else(|| panic!("ended by signal {:?}: {what}", status.signal()));
    Run {
        code,
        stdout: fs::read_to_string(&out).unwrap(),
        stderr: fs::read_to_string(&err).unwrap(),
        peak_mib: peak_kib / 1024,
    }
}

/// `ferry ARGS...` in `home` (unlocked), bounded, off the async runtime the sandboxes serve on.
async fn ferry(home: &Path, args: Vec<String>) -> Run {
    let mut cmd = ferry_in(home);
    cmd.args(&args);
    let run = tokio::task::spawn_blocking(move || bounded(cmd))
        .await
        .unwrap();
    eprintln!(
        "ferry {}: exit {}, peak {} MiB",
        args.join(" ").chars().take(160).collect::<String>(),
        run.code,
        run.peak_mib
    );
    run
}

/// `list`, with `FILE` standing for `file`.
fn args(list: &[&str], file: &Path) -> Vec<String> {
    list.iter()
        .map(|a| match *a {
            "FILE" => file.display().to_string(),
            a => a.to_string(),
        })
        .collect()
}

/// An error a user can act on: exit 1 (not 101, a panic's), no panic text, what was wanted said,
/// no secret in clear.
fn assert_refused(run: &Run, wanted: &[&str], what: &str) {
    assert!(
        run.code == 1 && !run.stderr.contains("panicked at"),
        "{what}: exit {}\n{}",
        run.code,
        run.stderr
    );
    for w in wanted {
        assert!(
            run.stderr.contains(w),
            "{what}: no {w:?} in\n{}",
            run.stderr
        );
    }
    assert_no_secret(run, what);
}

fn assert_no_secret(run: &Run, what: &str) {
    assert!(
        !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
        "{what}: the secret was printed"
    );
}

/// The names in `dir`: what a run left there.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The document every hostile file starts from: a pack of the sandbox's registry, with a secret.
fn base() -> Value {
    small_profile("hostile", &format!("db:\n  password: {SECRET}\n"))
}

/// The 1-based number of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// Hostile files, each with what its refusal must say.
fn hostile_files(dir: &Path) -> Vec<(PathBuf, Vec<String>)> {
    let pretty = serde_json::to_string_pretty(&base()).unwrap();
    let mut cases = Vec::new();
    let mut add = |name: &str, bytes: Vec<u8>, wanted: Vec<String>| {
        let path = dir.join(name);
        fs::write(&path, bytes).unwrap();
        cases.push((path, wanted));
    };

    let half = &pretty[..pretty.len() / 2];
    add(
        "truncated.json",
        half.into(),
        vec![
            "invalid JSON: EOF while parsing".into(),
            format!("at line {}", half.lines().count()),
        ],
    );
    // A comma missing after the profile's name: the parser stops at the next key.
    let malformed = pretty.replacen("\"name\": \"hostile\",", "\"name\": \"hostile\"", 1);
    add(
        "malformed.json",
        malformed.clone().into(),
        vec![format!(
            "invalid JSON: expected `,` or `}}` at line {} column",
            line_of(&malformed, "\"name\": \"hostile\"") + 1
        )],
    );
    let deep = format!(
        "{{\"metadata\":{{\"name\":\"x\"}},\"spec\":{}1{}}}",
        "{\"a\":".repeat(100_000),
        "}".repeat(100_000)
    );
    add(
        "deep.json",
        deep.into(),
        vec!["it nests deeper than 100 levels at line 1 column".into()],
    );
    // A byte that is not UTF-8, in the profile's name.
    let at = pretty.find("\"hostile\"").unwrap() + 5;
    let mut bytes = pretty.as_bytes().to_vec();
    bytes.insert(at, 0xff);
    let line = line_of(&pretty, "\"hostile\"");
    let column = at - pretty[..at].rfind('\n').unwrap();
    add(
        "latin1.json",
        bytes,
        vec![format!(
            "it is not UTF-8 text: byte 0xff at line {line} column {column}"
        )],
    );
    let mut wrong = base();
    wrong["spec"]["template"]["packs"] = json!("kubeflow");
    let wrong = serde_json::to_string_pretty(&wrong).unwrap();
    add(
        "wrong-type.json",
        wrong.clone().into(),
        vec![format!(
            "invalid type: string \"kubeflow\", expected a sequence at line {} column",
            line_of(&wrong, "\"packs\"")
        )],
    );
    // spec.version twice: Palette's decoder would keep the last, ferry refuses to guess.
    let dup = pretty.replacen("\"spec\": {", "\"spec\": {\n    \"version\": \"9.9.9\",", 1);
    add(
        "duplicate.json",
        dup.clone().into(),
        vec![format!(
            "the key \"version\" appears twice in one mapping at line {} column",
            line_of(&dup, "\"version\": \"1.0.0\"")
        )],
    );
    add(
        "duplicate.yaml",
        "metadata:\n  name: hostile\n  labels: {}\n  name: other\nspec:\n  version: 1.0.0\n".into(),
        vec!["the key \"name\" appears twice in one mapping (line 4 column 3)".into()],
    );
    let mut bomb = "x-bomb:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n".to_string();
    for (n, prev) in "bcdefghijklmnop".chars().zip("abcdefghijklmno".chars()) {
        bomb += &format!("  {n}: &{n} [{}]\n", vec![format!("*{prev}"); 9].join(", "));
    }
    bomb += "metadata:\n  name: hostile\nspec:\n  version: 1.0.0\n";
    add(
        "alias-bomb.yaml",
        bomb.into(),
        vec!["its aliases expand to more than 10000 values (line 6 column".into()],
    );
    // A value of 64 MiB: the file is over what ferry reads.
    let mut huge = base();
    huge["spec"]["template"]["packs"][0]["values"] = json!("a".repeat(64 << 20));
    add(
        "huge.json",
        huge.to_string().into(),
        vec!["it is 64.0 MiB, over the 64 MiB ferry reads of one file".into()],
    );

    let fifo = dir.join("fifo.json");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    cases.push((fifo, vec!["it is a FIFO, not a file".into()]));
    let folder = dir.join("folder.json");
    fs::create_dir(&folder).unwrap();
    cases.push((folder, vec!["it is a folder, not a file".into()]));
    cases.push((
        dir.join("missing.json"),
        vec!["No such file or directory".into()],
    ));
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_files_are_refused_by_every_command_naming_the_file_and_the_place() {
    let dst = Sandbox::start().await;
    let home = tempfile::tempdir().unwrap();
    login(home.path(), "dst", &dst, Role::Admin).await;
    let files = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let masked = out.path().join("masked.json");
    let commands: [&[&str]; 4] = [
        &[
            "mask",
            "FILE",
            "-o",
            masked.to_str().unwrap(),
            "--drop-secrets",
        ],
        &["validate", "FILE", "--env", "dst"],
        &["import", "FILE", "--env", "dst", "--yes"],
        &[
            "plugin",
            "run",
            "palette-mask",
            "--step",
            "mask",
            "--document",
            "FILE",
        ],
    ];
    for (file, wanted) in hostile_files(files.path()) {
        let name = file.file_name().unwrap().to_str().unwrap();
        for command in commands {
            let run = ferry(home.path(), args(command, &file)).await;
            let mut wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
            // `plugin run` hands a plugin any JSON, to see what it makes of it: the plugin names
            // the wrong type (and where), not knowing the file.
            if !(command[0] == "plugin" && name == "wrong-type.json") {
                wanted.push(name);
            }
            assert_refused(&run, &wanted, &format!("{} {name}", command[0]));
            assert!(
                names(out.path()).is_empty(),
                "{name}: something was written"
            );
        }
    }
    // The other files a command reads: a secrets file, a schema.
    let good = files.path().join("good.json");
    fs::write(&good, base().to_string()).unwrap();
    let fifo = files.path().join("fifo.json");
    let folder = files.path().join("folder.json");
    let schema = format!("kubeflow={}", folder.display());
    for (command, wanted) in [
        (
            &[
                "import",
                "FILE",
                "--env",
                "dst",
                "--secrets",
                fifo.to_str().unwrap(),
            ][..],
            "cannot read the secrets",
        ),
        (
            &[
                "mask",
                "FILE",
                "--drop-secrets",
                "--schema",
                schema.as_str(),
            ][..],
            "cannot read the schema",
        ),
    ] {
        let run = ferry(home.path(), args(command, &good)).await;
        assert_refused(&run, &[wanted, "not a file"], command[0]);
    }
    assert!(
        dst.admin().profile_names().await.is_empty(),
        "nothing was imported"
    );
    // The FIFO is still there, still a FIFO: nobody wrote into it or over it.
    let fifo = fs::symlink_metadata(files.path().join("fifo.json")).unwrap();
    assert!(fifo.file_type().is_fifo());
}

/// A document whose first pack's values are `values`.
fn with_values(dir: &Path, name: &str, values: &str) -> PathBuf {
    let mut doc = base();
    doc["spec"]["template"]["packs"][0]["values"] = json!(values);
    let path = dir.join(name);
    fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_nested_too_deep_end_in_a_finding_or_an_error_that_names_the_pack() {
    let dst = Sandbox::start().await;
    let home = tempfile::tempdir().unwrap();
    login(home.path(), "dst", &dst, Role::Admin).await;
    let dir = tempfile::tempdir().unwrap();
    let flow = format!(
        "password: {SECRET}\nx: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let block: String = (0..150)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    for (name, values, line) in [
        ("deep-flow.json", flow, 2),
        (
            "deep-block.json",
            format!("password: {SECRET}\n{block}"),
            102,
        ),
    ] {
        let file = with_values(dir.path(), name, &values);
        let deep = format!("the YAML nests deeper than 100 levels (line {line} column");
        let masked = dir.path().join("masked.json");
        let run = ferry(
            home.path(),
            args(
                &[
                    "mask",
                    "FILE",
                    "-o",
                    masked.to_str().unwrap(),
                    "--drop-secrets",
                ],
                &file,
            ),
        )
        .await;
        assert_refused(
            &run,
            &[
                &format!("cannot mask {}", file.display()),
                "pack 'kubeflow' values",
                &deep,
            ],
            name,
        );
        assert!(!masked.exists(), "{name}: a document was written");

        // validate and import: Palette refuses such values, so ferry says so as a finding.
        for command in [
            &["validate", "FILE", "--env", "dst"][..],
            &["import", "FILE", "--env", "dst", "--yes"],
        ] {
            let run = ferry(home.path(), args(command, &file)).await;
            assert_eq!(run.code, 3, "{name} {}: {}", command[0], run.stderr);
            let said = format!("{}{}", run.stdout, run.stderr);
            for w in ["values-invalid", "pack 'kubeflow'", &deep] {
                assert!(said.contains(w), "{name}: no {w:?} in {said}");
            }
            assert_no_secret(&run, name);
        }
        let run = ferry(
            home.path(),
            args(
                &[
                    "plugin",
                    "run",
                    "secret-scan",
                    "--step",
                    "mask",
                    "--document",
                    "FILE",
                ],
                &file,
            ),
        )
        .await;
        assert_refused(&run, &["pack 'kubeflow' values", &deep], name);
    }
    assert!(dst.admin().profile_names().await.is_empty());
}

/// Nine times nine times ... sixteen levels: expanded, 9^16 strings.
fn alias_bomb() -> String {
    let mut bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n".to_string();
    for (n, prev) in "bcdefghijklmnop".chars().zip("abcdefghijklmno".chars()) {
        bomb += &format!("{n}: &{n} [{}]\n", vec![format!("*{prev}"); 9].join(", "));
    }
    bomb
}

/// A manifest of 10,000 documents, each a Secret with its own password.
fn ten_thousand_secrets() -> String {
    (0..10_000)
        .map(|i| {
            format!(
                "kind: Secret\nmetadata:\n  name: s{i}\nstringData:\n  password: {SECRET}-{i}\n"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alias_bombs_and_ten_thousand_documents_are_read_in_bounded_memory() {
    let dst = Sandbox::start().await;
    let home = tempfile::tempdir().unwrap();
    login(home.path(), "dst", &dst, Role::Admin).await;
    let dir = tempfile::tempdir().unwrap();
    let bomb = with_values(
        dir.path(),
        "bomb.json",
        &format!("password: {SECRET}\n{}", alias_bomb()),
    );
    let mut doc = base();
    doc["spec"]["template"]["packs"][0]["manifests"] =
        json!([{"name": "secrets", "content": ten_thousand_secrets()}]);
    let manifest = dir.path().join("manifest.json");
    fs::write(&manifest, doc.to_string()).unwrap();

    for (file, masked_count) in [(&bomb, 1), (&manifest, 10_001)] {
        let name = file.file_name().unwrap().to_str().unwrap();
        let out = dir.path().join(format!("masked-{name}"));
        let run = ferry(
            home.path(),
            args(
                &[
                    "mask",
                    "FILE",
                    "-o",
                    out.to_str().unwrap(),
                    "--drop-secrets",
                ],
                file,
            ),
        )
        .await;
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let text = fs::read_to_string(&out).unwrap();
        let masked: Value = serde_json::from_str(&text).expect("a complete document");
        assert!(!text.contains(SECRET), "{name}: a secret stayed in clear");
        assert_eq!(
            masked["spec"]["template"]["packs"][0]["name"], "kubeflow",
            "{name}"
        );
        let counts: usize = run
            .stderr
            .lines()
            .filter_map(|l| {
                l.split(": ")
                    .nth(1)?
                    .split(' ')
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .sum();
        assert_eq!(counts, masked_count, "{name}: {}", run.stderr);
        // Expanded, the bomb would be terabytes; the manifest's own size is under 1 MiB.
        assert!(run.peak_mib < 512, "{name}: peak {} MiB", run.peak_mib);

        let run = ferry(
            home.path(),
            args(&["validate", "FILE", "--env", "dst"], file),
        )
        .await;
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        assert!(run.peak_mib < 512, "{name}: peak {} MiB", run.peak_mib);
        assert_no_secret(&run, name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_past_a_plugins_memory_says_which_limit_to_raise() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    fs::write(
        &policy,
        "[plugins.secret-scan]\nlimits = { memory-mib = 32 }\n",
    )
    .unwrap();
    let file = with_values(
        dir.path(),
        "big.json",
        &format!("password: {SECRET}\nblob: {}\n", "b".repeat(24 << 20)),
    );
    let out = dir.path().join("masked.json");
    let run = ferry(
        home.path(),
        vec![
            "mask".into(),
            file.display().to_string(),
            "-o".into(),
            out.display().to_string(),
            "--drop-secrets".into(),
            "--policy".into(),
            policy.display().to_string(),
        ],
    )
    .await;
    assert_refused(
        &run,
        &[
            &format!("cannot mask {}", file.display()),
            "secret-scan",
            "ran out of memory (cap 32 MiB)",
            "raise limits.memory-mib",
        ],
        "big value",
    );
    assert!(!out.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_pass_through_untouched() {
    let dst = Sandbox::start().await;
    let home = tempfile::tempdir().unwrap();
    login(home.path(), "dst", &dst, Role::Admin).await;
    let dir = tempfile::tempdir().unwrap();
    let mut doc = base();
    doc["futureTop"] = json!({"nested": [1, "two", null]});
    doc["metadata"]["futureMeta"] = json!("kept");
    doc["spec"]["futureSpec"] = json!(true);
    doc["spec"]["template"]["packs"][0]["futurePack"] = json!({"x": 1.5});
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let file = dir.path().join("future.json");
    fs::write(&file, &text).unwrap();
    let unknown = [
        "\"futureTop\": {\n    \"nested\": [\n      1,\n      \"two\",\n      null\n    ]\n  }",
        "\"futureMeta\": \"kept\"",
        "\"futureSpec\": true",
        "\"futurePack\": {\n            \"x\": 1.5\n          }",
    ];
    for u in unknown {
        assert!(text.contains(u), "{u} not in {text}");
    }

    let out = dir.path().join("masked.json");
    let bundle = dir.path().join("s.bundle");
    let run = ferry(
        home.path(),
        args(
            &[
                "mask",
                "FILE",
                "-o",
                out.to_str().unwrap(),
                "--secrets-out",
                bundle.to_str().unwrap(),
            ],
            &file,
        ),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let masked = fs::read_to_string(&out).unwrap();
    assert!(!masked.contains(SECRET));
    for u in unknown {
        assert!(masked.contains(u), "mask dropped {u}: {masked}");
    }
    let run = ferry(
        home.path(),
        args(
            &[
                "plugin",
                "run",
                "palette-mask",
                "--step",
                "mask",
                "--document",
                "FILE",
            ],
            &file,
        ),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    for u in unknown {
        assert!(run.stdout.contains(u), "plugin run dropped {u}");
    }
    // The original (the masked one would be refused for its ******** values).
    let run = ferry(
        home.path(),
        args(&["validate", "FILE", "--env", "dst"], &file),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_no_secret(&run, "validate");
    let run = ferry(
        home.path(),
        args(
            &[
                "import",
                "FILE",
                "--env",
                "dst",
                "--yes",
                "--secrets",
                bundle.to_str().unwrap(),
            ],
            &out,
        ),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_no_secret(&run, "import");
    assert_eq!(dst.admin().profile_names().await, ["hostile"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_are_written_whole_or_not_at_all() {
    let src = Sandbox::start().await;
    let admin = src.admin();
    admin.import(&base()).await;
    // A profile the sandbox holds with an alias bomb in its values and 10,000 Secrets.
    let mut hostile = small_profile("bombed", &format!("password: {SECRET}\n{}", alias_bomb()));
    hostile["spec"]["template"]["packs"][0]["manifests"] =
        json!([{"name": "secrets", "content": ten_thousand_secrets()}]);
    admin.import(&hostile).await;
    let home = tempfile::tempdir().unwrap();
    login(home.path(), "src", &src, Role::ReadOnly).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    let fifo = out.join("fifo.json");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let folder = out.join("folder.json");
    fs::create_dir(&folder).unwrap();
    let bundle = out.join("s.bundle");
    let input = dir.path().join("in.json");
    fs::write(&input, base().to_string()).unwrap();
    let places = [
        (folder.clone(), "it is a folder, not a file"),
        (fifo.clone(), "it is a FIFO, not a file"),
        (out.join("no/such/out.json"), "does not exist"),
        // Not even root may create a file at the top of sysfs.
        (
            PathBuf::from("/sys/ferry-hostile-out.json"),
            "Permission denied",
        ),
    ];
    for (place, wanted) in &places {
        let o = place.to_str().unwrap();
        for command in [
            &["export", "hostile", "--env", "src"][..],
            &["mask", input.to_str().unwrap()],
        ] {
            let mut a: Vec<String> = command.iter().map(|s| s.to_string()).collect();
            a.extend(["-o", o, "--secrets-out", bundle.to_str().unwrap()].map(String::from));
            let run = ferry(home.path(), a).await;
            assert_refused(&run, &[o, wanted], &format!("{} -o {o}", command[0]));
            assert_eq!(
                names(&out),
                ["fifo.json", "folder.json"],
                "{} -o {o} left something",
                command[0]
            );
        }
    }
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(names(&folder).is_empty());

    // The hostile profile exports whole, every secret sealed.
    let doc = out.join("bombed.json");
    let run = ferry(
        home.path(),
        [
            "export",
            "bombed",
            "--env",
            "src",
            "-o",
            doc.to_str().unwrap(),
            "--secrets-out",
            bundle.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.peak_mib < 512, "peak {} MiB", run.peak_mib);
    let text = fs::read_to_string(&doc).unwrap();
    let exported: Value = serde_json::from_str(&text).expect("a complete document");
    assert_eq!(exported["metadata"]["name"], "bombed");
    assert!(!text.contains(SECRET));
    assert!(
        run.stderr.contains("10001 value(s) and 0 macro(s) sealed"),
        "{}",
        run.stderr
    );
    assert_eq!(
        names(&out),
        ["bombed.json", "fifo.json", "folder.json", "s.bundle"]
    );
}
