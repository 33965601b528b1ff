//! Property: for generated export documents whose values and manifests hold secrets in every YAML
//! spelling (plain, quoted, block scalars, flow maps and lists, comments, several `---` documents,
//! URLs), masking then restoring gives the original document back byte for byte, with both maskers'
//! engines: the secret scanner and `mask_document`. A deterministic generator (a fixed seed per
//! case) so a failure names its case and replays.

use ferry_plugin_api::mask::{PLACEHOLDER, mask_document};
use ferry_plugin_api::scan::{self, AllowList};

/// xorshift64*: small, deterministic, good enough to pick among shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const SECRET_KEYS: &[&str] = &[
    "password",
    "dbPassword",
    "api_token",
    "secretKey",
    "DB-PASSWD",
];
const PLAIN_KEYS: &[&str] = &["name", "image", "replicas", "host", "spectrocloud.com/x"];

/// A secret scalar as it may be written after `key: ` at `indent` (block scalars run on).
fn secret(rng: &mut Rng, indent: usize) -> String {
    let pad = " ".repeat(indent + 2);
    match rng.below(10) {
        0 => "S3cr3t-plain".into(),
        1 => "'it''s S3cr3t'".into(),
        2 => r#""S3cr\"3t \u00e9 <tag> & \\ end""#.into(),
        3 => format!("|\n{pad}S3cr3t line one\n{pad}  indented two\n"),
        4 => format!(">-\n{pad}folded S3cr3t\n{pad}text\n"),
        5 => "S3cr3t-with-comment # not part of it".into(),
        6 => "\"\"".into(),
        7 => format!("|+\n{pad}kept S3cr3t\n\n"),
        8 => "pässwörd-S3cr3t ✓ 😀".into(),
        _ => "'********'".into(),
    }
}

fn plain(rng: &mut Rng) -> String {
    rng.pick(&[
        "nginx:1.25",
        "café ☕",
        "3",
        "true",
        "~",
        "'quoted'",
        "\"{{.spectro.macro.DB_PASSWORD}}\"",
        "postgres://app:pa55-S3cr3t@db:5432/app",
        "[a, 'b', {c: d}]",
        "{user: admin, password: fl0w-S3cr3t}",
    ])
    .into()
}

/// One mapping at `indent`, `depth` levels deep at most.
fn mapping(rng: &mut Rng, indent: usize, depth: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    // YAML keys are unique in a mapping (ferry refuses a repeated one).
    let mut used = Vec::new();
    for _ in 0..1 + rng.below(4) {
        if rng.below(4) == 0 {
            out.push_str(&format!("{pad}# a comment: password: not-a-value\n"));
        }
        let secret_key = rng.below(2) == 0;
        let key = if secret_key {
            rng.pick(SECRET_KEYS)
        } else {
            rng.pick(PLAIN_KEYS)
        };
        let shape = rng.below(6);
        let key = if shape == 1 && depth > 0 {
            "users"
        } else {
            key
        };
        if used.contains(&key) {
            continue;
        }
        used.push(key);
        match shape {
            0 if depth > 0 => {
                out.push_str(&format!("{pad}{key}:\n"));
                mapping(rng, indent + 2, depth - 1, out);
            }
            1 if depth > 0 => {
                out.push_str(&format!("{pad}users:\n"));
                for _ in 0..1 + rng.below(3) {
                    let value = secret(rng, indent + 4);
                    out.push_str(&format!("{pad}  - token: {value}"));
                    if !value.ends_with('\n') {
                        out.push('\n');
                    }
                }
            }
            2 => out.push_str(&format!(
                "{pad}{key}: {{user: u, password: 'fl0w S3cr3t', n: 1}}\n"
            )),
            _ => {
                let value = if secret_key {
                    secret(rng, indent)
                } else {
                    plain(rng)
                };
                out.push_str(&format!("{pad}{key}: {value}"));
                if !value.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
    }
}

/// Values YAML, one document or several (`---`), sometimes a Kubernetes Secret.
fn yaml(rng: &mut Rng) -> String {
    let mut out = String::new();
    let documents = 1 + rng.below(3);
    for n in 0..documents {
        if n > 0 || rng.below(3) == 0 {
            out.push_str("---\n");
        }
        let mut body = String::new();
        mapping(rng, 0, 3, &mut body);
        if rng.below(3) == 0 {
            out.push_str("kind: Secret\nstringData:\n  anything: 'S3cr3t data'\n");
        }
        out.push_str(&body);
    }
    out
}

/// An export document holding generated values, manifests and variables, written as one of three
/// writers does: Go (`<`, `>` and `&` escaped; Palette's), serde_json (nothing optional escaped) or
/// Python (every non-ASCII character escaped). The last two keep a raw `<` outside the secrets, in
/// the description: a document shows how it escapes only where something is left to show it
/// (`json_text::Escapes`).
fn document(rng: &mut Rng) -> String {
    let packs: Vec<_> = (0..1 + rng.below(3))
        .map(|i| {
            serde_json::json!({
                "name": format!("pack-{i}"),
                "values": yaml(rng),
                "manifests": [{"name": "m", "content": yaml(rng)}],
            })
        })
        .collect();
    let variables = serde_json::json!([
        {"name": "dbPassword", "defaultValue": "var-S3cr3t", "isSensitive": true},
        {"name": "region", "defaultValue": "eu-west-1"},
    ]);
    let writer = rng.below(3);
    let description = if writer == 0 {
        "Go's"
    } else {
        "<b>raw</b> & café"
    };
    let doc = serde_json::json!({
        "metadata": {"name": "generated", "description": description},
        "spec": {"version": "1.0.0", "template": {"packs": packs}, "variables": variables},
    });
    let text = if rng.below(2) == 0 {
        serde_json::to_string_pretty(&doc).unwrap()
    } else {
        serde_json::to_string(&doc).unwrap()
    };
    match writer {
        0 => text
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026"),
        1 => text,
        _ => text
            .chars()
            .map(|c| match c {
                ' '..='~' | '\n' => c.to_string(),
                _ => c
                    .encode_utf16(&mut [0; 2])
                    .iter()
                    .map(|u| format!("\\u{u:04x}"))
                    .collect(),
            })
            .collect(),
    }
}

const CASES: u64 = 300;

/// Fails with where the two texts part.
fn same_bytes(case: u64, restored: &str, original: &str) {
    if restored == original {
        return;
    }
    let at = restored
        .bytes()
        .zip(original.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let context = |s: &str| {
        s.get(at.saturating_sub(60)..(at + 60).min(s.len()))
            .map(str::to_owned)
    };
    panic!(
        "case {case}: restore changed the document at byte {at}:\n restored: {:?}\n original: {:?}",
        context(restored),
        context(original)
    );
}

#[test]
fn scan_then_restore_gives_back_the_document_byte_for_byte() {
    let mut masked_total = 0;
    for case in 1..=CASES {
        let mut rng = Rng(case.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let original = document(&mut rng);
        let found = scan::scan(&original, &AllowList::default())
            .unwrap_or_else(|e| panic!("case {case}: {e}\n{original}"));
        let masked = found
            .output
            .document
            .unwrap_or_else(|| panic!("case {case}: nothing masked\n{original}"));
        assert!(masked.contains(PLACEHOLDER), "case {case}");
        masked_total += found.output.masked.len();
        let restored = scan::restore(&masked, &found.output.masked)
            .unwrap_or_else(|e| panic!("case {case}: {e}\n{masked}"));
        same_bytes(case, &restored, &original);
    }
    // Every case has a sensitive variable, and most have many more secrets.
    assert!(masked_total > 3 * CASES as usize, "{masked_total}");
}

#[test]
fn masking_every_value_then_restoring_gives_back_the_document_byte_for_byte() {
    for case in 1..=CASES {
        let mut rng = Rng(case.wrapping_mul(0xD1B5_4A32_D192_ED03));
        let original = document(&mut rng);
        let all = |_: &str, _: &ferry_plugin_api::values::Scalar| Some("all".to_string());
        let sensitive = |v: &ferry_plugin_api::document::Variable| {
            v.is_sensitive.unwrap_or(false).then(|| "sensitive".into())
        };
        let out = mask_document(&original, |_| true, all, sensitive)
            .unwrap_or_else(|e| panic!("case {case}: {e}\n{original}"));
        let masked = out.document.expect("values were masked");
        let restored = scan::restore(&masked, &out.masked)
            .unwrap_or_else(|e| panic!("case {case}: {e}\n{masked}"));
        same_bytes(case, &restored, &original);
    }
}
