//! Secret scanning: the secrets Palette leaves in clear, found by what they look like rather than by
//! what a pack's schema says. The logic behind the built-in `secret-scan` masker, which runs after
//! `palette-mask`.
//!
//! # Where it looks
//!
//! Every pack's `values` and every manifest's `content` (YAML; manifests may hold several `---`
//! documents), and every variable's `defaultValue`. Each masked value becomes a
//! [`MaskedValue`]: `pointer` is the JSON pointer of the document string
//! (`/spec/template/packs/1/manifests/0/content`), `key` the place inside it, written as
//! `palette-mask` writes it: a JSON pointer into the YAML tree (`/charts/app/users/1/token`), which,
//! unlike the dotted notation, names one array element. A manifest holding more than one document
//! prefixes the document's index (`[1]/stringData/password`, counting from 0); a pointer never
//! starts with `[`. A variable's `key` is empty: the whole string was the value.
//!
//! # Rules, in the order they are tried (the first that fires names the finding)
//!
//! | rule | fires on |
//! | --- | --- |
//! | `pem-private-key` | a value holding `-----BEGIN ... PRIVATE KEY-----` (RSA, EC, OPENSSH, PGP, PKCS#8); certificates are not secrets |
//! | `pattern:NAME` | a whole value shaped like a well-known credential: `aws-access-key` (`AKIA…`), `github-token` (`ghp_…`, `github_pat_…`), `gitlab-token` (`glpat-…`), `slack-token` (`xoxb-…`), `slack-webhook`, `google-api-key` (`AIza…`), `stripe-key` (`sk_live_…`), `npm-token`, `jwt` (`eyJ….eyJ….…`) |
//! | `k8s-secret-data` | every value directly under `data` or `stringData` of a manifest document of `kind: Secret` |
//! | `key-name:WORD` | a value whose key ends in a secret word: `password`, `passwd`, `passphrase`, `pwd`, `secret`, `token`, `credentials`, `credential`, `creds`, `apikey`, `privatekey`, `secretkey`, `secretaccesskey`, `authkey`, `encryptionkey`, `signingkey`, `masterkey`, `accountkey`, `sharedkey`, `licensekey` (case, `-`, `_` and `.` ignored, so `dbPassword`, `DB_PASSWORD` and `db-password` are all `password`); for a variable, its name |
//! | `env-name:WORD` | the `value` beside a `name` that is a secret word, as in a container's `env: [{name: DB_PASSWORD, value: …}]` |
//! | `url-password` | the password of a URL, `scheme://user:PASSWORD@host`, anywhere in a value |
//! | `entropy` | a high-entropy string (16+ characters of a base64/hex alphabet, upper, lower and digits mixed, or 32+ hex digits) under a key that often holds one: `key`, `keyid`, `auth`, `salt`, `cookie`, `hmac`, `signature`, `license` |
//!
//! # What is not a secret, whatever the rule
//!
//! Empty values; values holding `********` (masked already, by `palette-mask` or Palette itself:
//! masking twice would seal the placeholder); template expressions (any value containing `{{ … }}`,
//! such as `{{.spectro.macro.DB_PASSWORD}}`, and whole `${VAR}` / `$(VAR)` substitutions: they
//! point at a secret kept elsewhere); unquoted booleans, nulls and numbers (`enablePassword: true`,
//! `tokenTTL: 3600`: replacing them by a string would change the type the chart reads).
//! References to a secret are told by their key: a key starting with `existing` (`existingSecret`)
//! is never secret-named, and `secretName`, `secretRef`, `passwordKey`, `tokenFile` do not end in a
//! secret word. Nor do `passwordPolicy` or `tokenizer`. A key ending in `secret` whose value is a
//! Kubernetes object name made of words (`imagePullSecret: quay-io-robot-secret`,
//! `provisionerSecret: csi-rbd-secret`, both from real packs) names the Secret too; a UUID does not.
//!
//! Decision: any other string under a secret-named key is masked, even a weak one such as
//! `changeme` or `REPLACE_ME`. A default password is still one somebody may deploy with, and a
//! masked value costs nothing (the host restores it on import); a missed one leaks. False
//! positives are silenced with the allow-list.
//!
//! # How a value is masked, and restored
//!
//! Only the masked scalar's own text changes, inside the JSON string that holds it: the rest of the
//! YAML (comments, order, quoting, layout) and the rest of the JSON document (field order,
//! whitespace, escapes such as Go's `\u003c`) stay byte for byte.
//!
//! - A whole YAML scalar becomes `"********"` (quoted: a plain `*` starts a YAML alias). `value` is
//!   the scalar's source text exactly as it was written (for a plain scalar the value itself; for
//!   a quoted or block scalar with its quotes, `|` header and indentation), so putting it back in
//!   place of the `"********"` restores the original bytes.
//! - A URL password is masked alone (`postgres://app:********@db/app`): the URL stays readable,
//!   and `value` is the password's bytes. When the password's source text differs from its value
//!   (escapes in a quoted scalar), the whole scalar is masked instead.
//! - A variable's default becomes `********` (or has its URL password replaced); `value` is the
//!   string as JSON decodes it.
//!
//! [`restore`] does the reverse and is the reference for what the values mean.
//!
//! # Allow-list
//!
//! [`AllowList::parse`] reads the plugin's `allow` setting: entries separated by commas or new
//! lines, surrounding spaces ignored, `*` matching any run of characters (dots and slashes
//! included). Each entry is one of:
//!
//! - `rule=GLOB`: silences a rule (`rule=entropy`, `rule=pattern:*`, `rule=key-name:token`).
//! - `PATH`: silences the values at a dotted path in any pack or manifest (`charts.app.password`,
//!   `*.authToken`, `users.$[].token`, `[1].stringData.*` for the second document of a manifest),
//!   or the default of the variable with that name.
//! - `POINTER#PATH`: the same, only in the document string at `POINTER`
//!   (`/spec/template/packs/*/values#manifests.hello-universe.dbPassword`).
//!
//! A silenced value is left in clear and listed in [`Scan::allowed`] (the plugin logs it).
//!
//! # Not covered
//!
//! A secret inside a longer text that is not a URL password (a config file in a block scalar with
//! `password = x` in it) is only found when the whole text trips a rule; YAML documents nested in a
//! values string are not parsed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use regex_lite::Regex;
use serde_json::value::RawValue;

use crate::document::{Skim, pack_pointer, variable_pointer};
use crate::json_text::{Escapes, Literal};
use crate::mask::PLACEHOLDER;
use crate::types::{MaskOutput, MaskedValue};
use crate::values::{self, Segment};

/// A value the allow-list kept in clear: where it is and the rule it would have fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// JSON pointer to the document string that holds it.
    pub pointer: String,
    /// Where it is inside that string's YAML, as a masked value's key says it.
    pub key: String,
    /// The rule that would have masked it.
    pub rule: String,
}

/// What [`scan`] found. Not `Debug`: it holds the clear values.
#[derive(Clone)]
pub struct Scan {
    /// The masked document (`None` when nothing was masked) and the values taken out.
    pub output: MaskOutput,
    /// Values a rule fired on that the allow-list silenced.
    pub allowed: Vec<Location>,
}

/// Finds the secrets in an export document and masks them in place (see the module docs).
pub fn scan(document: &str, allow: &AllowList) -> Result<Scan, String> {
    let mut masked = Vec::new();
    let mut allowed = Vec::new();
    let mut edits = Vec::new();
    let escapes = Escapes::of(document);
    for field in fields(document)? {
        let literal = field.literal(document)?;
        let hits = match &field.place {
            Place::Yaml { manifest } => {
                scan_yaml(&literal.text, *manifest).map_err(|e| format!("{}: {e}", field.what))?
            }
            Place::Variable { name } => scan_variable(name, &literal.text),
        };
        let mut field_edits = Vec::new();
        for hit in hits {
            if allow.allows(&field.pointer, &hit.path, &hit.rule) {
                allowed.push(Location {
                    pointer: field.pointer.clone(),
                    key: hit.key,
                    rule: hit.rule,
                });
                continue;
            }
            field_edits.push((hit.range.clone(), hit.replacement.to_string()));
            masked.push(MaskedValue {
                pointer: field.pointer.clone(),
                key: hit.key,
                value: literal.text[hit.range].to_string(),
                rule: hit.rule,
            });
        }
        if let Place::Yaml { .. } = field.place {
            values::check_edits(&literal.text, &field_edits)
                .map_err(|e| format!("{}: {e}", field.what))?;
        }
        edits.extend(literal.edits_with(escapes, document, field_edits));
    }
    let document = (!edits.is_empty()).then(|| values::replace(document, edits));
    Ok(Scan {
        output: MaskOutput { document, masked },
        allowed,
    })
}

/// Puts masked values back into a document any masker masked (or Palette did): each `value` is
/// source text that replaces the placeholder it took the place of, the whole scalar where the
/// scalar reads `********` (however it is quoted), else the `********` inside it (a URL's
/// password). So the document comes back as it was before masking, byte for byte.
pub fn restore(document: &str, masked: &[MaskedValue]) -> Result<String, String> {
    let fields = fields(document)?;
    let escapes = Escapes::of(document);
    let mut edits = Vec::new();
    for m in masked {
        if !fields.iter().any(|f| f.pointer == m.pointer) {
            return Err(format!("nothing to restore at {} {}", m.pointer, m.key));
        }
    }
    for field in &fields {
        let mine: Vec<&MaskedValue> = masked
            .iter()
            .filter(|m| m.pointer == field.pointer)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let literal = field.literal(document)?;
        let text = &literal.text;
        let mut field_edits = Vec::new();
        // A scalar may hold several masked URL passwords: the n-th value for a key goes in place
        // of the n-th placeholder in it, as `scan` listed them left to right.
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let docs = match field.place {
            Place::Yaml { .. } => {
                values::document_scalars(text).map_err(|e| format!("{}: {e}", field.what))?
            }
            Place::Variable { .. } => Vec::new(),
        };
        for m in mine {
            let nth = seen.entry(m.key.as_str()).or_default();
            let (span, whole) = match field.place {
                Place::Variable { .. } => (0..text.len(), text == PLACEHOLDER),
                Place::Yaml { .. } => values::find_key(&docs, &m.key)
                    .map(|s| (s.span.clone(), s.value == PLACEHOLDER))
                    .ok_or_else(|| format!("nothing to restore at {} {}", m.pointer, m.key))?,
            };
            let source = &text[span.clone()];
            let range = if whole {
                span
            } else {
                let at = source
                    .match_indices(PLACEHOLDER)
                    .nth(*nth)
                    .ok_or_else(|| format!("no placeholder at {} {}", m.pointer, m.key))?
                    .0;
                span.start + at..span.start + at + PLACEHOLDER.len()
            };
            *nth += 1;
            field_edits.push((range, m.value.clone()));
        }
        edits.extend(literal.edits_with(escapes, document, field_edits));
    }
    Ok(values::replace(document, edits))
}

// ---------------------------------------------------------------------------------------------
// The document's strings, with where each sits in the JSON text.

enum Place {
    Yaml { manifest: bool },
    Variable { name: String },
}

/// One string of the document that may hold secrets. Decoded only while it is worked on
/// ([`Field::literal`]): a profile's manifests can run to megabytes, and a plugin's memory is its
/// peak.
struct Field<'a> {
    pointer: String,
    /// What the field is, for an error about it: `pack 'a' values (/spec/...)`.
    what: String,
    raw: &'a RawValue,
    place: Place,
}

impl Field<'_> {
    fn literal(&self, document: &str) -> Result<Literal, String> {
        Literal::of(document, self.raw)
            .map_err(|e| format!("{}: {e}", self.what))?
            .ok_or_else(|| format!("{}: not a string", self.what))
    }
}

/// The document's strings that may hold secrets (those that are JSON strings), in document order.
fn fields<'a>(document: &'a str) -> Result<Vec<Field<'a>>, String> {
    let skim = Skim::parse(document)?;
    let mut out = Vec::new();
    let mut add = |pointer: String, what: String, raw: Option<&'a RawValue>, place: Place| {
        if let Some(raw) = raw.filter(|r| r.get().starts_with('"')) {
            let what = format!("{what} ({pointer})");
            out.push(Field {
                pointer,
                what,
                raw,
                place,
            });
        }
    };
    for (p, pack) in skim.packs().iter().enumerate() {
        add(
            pack_pointer(p, "values"),
            format!("pack '{}' values", pack.name),
            pack.values,
            Place::Yaml { manifest: false },
        );
        for (m, manifest) in pack.manifests.iter().flatten().enumerate() {
            let pointer = format!("{}/{m}/content", pack_pointer(p, "manifests"));
            let what = format!("pack '{}' manifest {m}", pack.name);
            add(
                pointer,
                what,
                manifest.content,
                Place::Yaml { manifest: true },
            );
        }
    }
    for (v, var) in skim.variables()?.iter().enumerate() {
        let place = Place::Variable {
            name: var.name.to_string(),
        };
        add(
            variable_pointer(v, "defaultValue"),
            format!("variable '{}' default", var.name),
            var.default_value,
            place,
        );
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Finding secrets in one string.

/// A secret found in one document string.
struct Hit {
    /// What to replace, in the decoded string.
    range: Range<usize>,
    replacement: Cow<'static, str>,
    /// The place reported (`MaskedValue::key`).
    key: String,
    /// The dotted path the allow-list matches.
    path: String,
    rule: String,
}

/// What a rule decided about one value.
enum Verdict {
    /// Mask the whole value.
    Whole(String),
    /// Mask these byte ranges of the value (URL passwords).
    Parts(String, Vec<Range<usize>>),
}

/// What is known of a value beyond its text.
#[derive(Default)]
struct Context<'a> {
    /// The nearest key above it (for a variable: its name).
    key: Option<&'a str>,
    /// The `name` beside it when it is the `value` of a name/value pair.
    pair_name: Option<&'a str>,
    /// It sits in a Kubernetes Secret's `data` or `stringData`.
    secret_data: bool,
    /// YAML reads it as a string whatever it looks like (quoted, block or JSON).
    string: bool,
}

fn scan_yaml(text: &str, manifest: bool) -> Result<Vec<Hit>, String> {
    let docs = values::document_scalars(text)?;
    let several = docs.len() > 1;
    let mut hits = Vec::new();
    for (n, scalars) in docs.iter().enumerate() {
        let is_secret = manifest
            && scalars.iter().any(|s| {
                matches!(s.path.as_slice(), [Segment::Key(k)] if k == "kind") && s.value == "Secret"
            });
        // `name` scalars by their mapping, for name/value pairs.
        let names: HashMap<&[Segment], &str> = scalars
            .iter()
            .filter_map(|s| match s.path.split_last() {
                Some((Segment::Key(k), parent)) if k == "name" => Some((parent, s.value.as_str())),
                _ => None,
            })
            .collect();
        for s in scalars {
            let source = &text[s.span.clone()];
            let cx = Context {
                key: s.path.iter().rev().find_map(|seg| match seg {
                    Segment::Key(k) => Some(k.as_str()),
                    Segment::Index(_) => None,
                }),
                pair_name: match s.path.split_last() {
                    Some((Segment::Key(k), parent)) if k == "value" => names.get(parent).copied(),
                    _ => None,
                },
                secret_data: is_secret
                    && matches!(s.path.as_slice(), [Segment::Key(k), Segment::Key(_)] if k == "data" || k == "stringData"),
                string: s.block || source.starts_with(['"', '\'']),
            };
            let Some(verdict) = judge(&s.value, &cx) else {
                continue;
            };
            let key = values::key(docs.len(), n, &s.path);
            let path = if several {
                format!("[{n}].{}", s.dotted())
            } else {
                s.dotted()
            };
            let hit = |range: Range<usize>, replacement: Cow<'static, str>, rule: &str| Hit {
                range,
                replacement,
                key: key.clone(),
                path: path.clone(),
                rule: rule.to_string(),
            };
            let whole = |rule: &str| hit(s.span.clone(), values::quoted(PLACEHOLDER).into(), rule);
            match verdict {
                Verdict::Whole(rule) => hits.push(whole(&rule)),
                Verdict::Parts(rule, parts) => {
                    // The passwords as written must be the passwords as read, else mask it all.
                    let in_source = url_passwords(source);
                    let same = in_source.len() == parts.len()
                        && in_source
                            .iter()
                            .zip(&parts)
                            .all(|(a, b)| source[a.clone()] == s.value[b.clone()]);
                    if same {
                        for r in in_source {
                            let at = s.span.start;
                            hits.push(hit(at + r.start..at + r.end, PLACEHOLDER.into(), &rule));
                        }
                    } else {
                        hits.push(whole(&rule));
                    }
                }
            }
        }
    }
    Ok(hits)
}

fn scan_variable(name: &str, value: &str) -> Vec<Hit> {
    let cx = Context {
        key: Some(name),
        ..Context::default()
    };
    let hit = |range: Range<usize>, rule: &str| Hit {
        range,
        replacement: PLACEHOLDER.into(),
        key: String::new(),
        path: name.to_string(),
        rule: rule.to_string(),
    };
    match judge(value, &cx) {
        None => Vec::new(),
        Some(Verdict::Whole(rule)) => vec![hit(0..value.len(), &rule)],
        Some(Verdict::Parts(rule, parts)) => parts.into_iter().map(|r| hit(r, &rule)).collect(),
    }
}

/// Which rule, if any, says `value` is a secret.
fn judge(value: &str, cx: &Context) -> Option<Verdict> {
    if !holds_data(value, cx.string) {
        return None;
    }
    let whole = |rule: String| Some(Verdict::Whole(rule));
    if value.contains("PRIVATE KEY") && pem().is_match(value) {
        return whole("pem-private-key".into());
    }
    if let Some(name) = credential_shape(value.trim()) {
        return whole(format!("pattern:{name}"));
    }
    if cx.secret_data {
        return whole("k8s-secret-data".into());
    }
    if let Some(word) = cx.key.and_then(secret_word)
        && !(word == "secret" && names_an_object(value.trim()))
    {
        return whole(format!("key-name:{word}"));
    }
    if let Some(word) = cx.pair_name.and_then(secret_word) {
        return whole(format!("env-name:{word}"));
    }
    let parts = url_passwords(value);
    if !parts.is_empty() {
        return Some(Verdict::Parts("url-password".into(), parts));
    }
    if cx.key.is_some_and(entropy_key) && high_entropy(value.trim()) {
        return whole("entropy".into());
    }
    None
}

/// False for what is never a secret: see "What is not a secret" in the module docs.
fn holds_data(value: &str, string: bool) -> bool {
    let v = value.trim();
    if v.is_empty() || v.contains(PLACEHOLDER) {
        return false;
    }
    if v.contains("{{") && v.contains("}}") {
        return false;
    }
    if (v.starts_with("${") && v.ends_with('}')) || (v.starts_with("$(") && v.ends_with(')')) {
        return false;
    }
    string || !plain_typed().is_match(v)
}

/// Unquoted YAML scalars that a chart reads as a boolean, a null or a number.
fn plain_typed() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(?i:true|false|yes|no|on|off|null|~)$|^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$|^0x[0-9a-fA-F]+$|^0o[0-7]+$")
            .expect("valid pattern")
    })
}

/// Key names whose value is a secret, by how the normalized name ends. Compounds first so the
/// rule names the most telling word.
const SECRET_WORDS: &[&str] = &[
    "secretaccesskey",
    "apikey",
    "privatekey",
    "secretkey",
    "authkey",
    "encryptionkey",
    "signingkey",
    "masterkey",
    "accountkey",
    "sharedkey",
    "licensekey",
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "token",
    "credentials",
    "credential",
    "creds",
];

/// Key names that often, not always, hold a secret: only a high-entropy value under them is one.
const ENTROPY_WORDS: &[&str] = &[
    "key",
    "keyid",
    "auth",
    "salt",
    "cookie",
    "hmac",
    "signature",
    "license",
];

/// `dbPassword`, `DB_PASSWORD`, `db.password` → `dbpassword`.
fn normalize(key: &str) -> String {
    key.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The secret word a key name ends in; `existing…` keys name a Secret, they do not hold one.
fn secret_word(key: &str) -> Option<&'static str> {
    let name = normalize(key);
    if name.starts_with("existing") {
        return None;
    }
    SECRET_WORDS.iter().copied().find(|w| name.ends_with(w))
}

/// A Kubernetes object's name made of words (`csi-rbd-secret`, `quay-io-robot-secret`): what a
/// key ending in `Secret` holds when it names the Secret rather than being one (`imagePullSecret`,
/// `provisionerSecret`, `linstorPassphraseSecret` in real packs). A UUID, hex digits only, is
/// not taken for one.
fn names_an_object(v: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re =
        RE.get_or_init(|| Regex::new(r"^[a-z0-9]+(?:[-.][a-z0-9]+)+$").expect("valid pattern"));
    v.len() <= 253
        && re.is_match(v)
        && v.bytes()
            .any(|b| b.is_ascii_lowercase() && !b.is_ascii_hexdigit())
}

fn entropy_key(key: &str) -> bool {
    let name = normalize(key);
    ENTROPY_WORDS.iter().any(|w| name.ends_with(w))
}

/// Random-looking: 16+ characters of a token alphabet with upper, lower and digits and
/// 3.5+ bits of entropy per character, or 32+ hex digits. Words joined by dashes
/// (`kubernetes-dashboard-v2`) lack the upper case; dotted names (`node-role.kubernetes.io/x`)
/// the alphabet.
fn high_entropy(v: &str) -> bool {
    let token = v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-'));
    if v.len() < 16 || !token {
        return false;
    }
    if v.len() >= 32 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return shannon(v) >= 3.0;
    }
    let has = |f: fn(&u8) -> bool| v.as_bytes().iter().any(f);
    has(u8::is_ascii_uppercase)
        && has(u8::is_ascii_lowercase)
        && has(u8::is_ascii_digit)
        && shannon(v) >= 3.5
}

/// Bits per character.
fn shannon(v: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in v.bytes() {
        counts[b as usize] += 1;
    }
    let n = v.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

fn pem() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----").expect("valid pattern")
    })
}

/// Well-known credential shapes: (name, prefixes any match starts with, whole-value pattern).
/// The prefixes spare most values the regex.
const SHAPES: &[(&str, &[&str], &str)] = &[
    (
        "aws-access-key",
        &["AKIA", "ASIA", "ABIA", "ACCA"],
        r"^(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}$",
    ),
    (
        "github-token",
        &["gh", "github_pat_"],
        r"^(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})$",
    ),
    ("gitlab-token", &["glpat-"], r"^glpat-[A-Za-z0-9_-]{20,}$"),
    ("slack-token", &["xox"], r"^xox[abposr]-[A-Za-z0-9-]{10,}$"),
    (
        "slack-webhook",
        &["https://hooks.slack.com/"],
        r"^https://hooks\.slack\.com/services/[A-Za-z0-9_/]+$",
    ),
    ("google-api-key", &["AIza"], r"^AIza[0-9A-Za-z_-]{35}$"),
    (
        "stripe-key",
        &["sk_live_", "rk_live_"],
        r"^[sr]k_live_[0-9A-Za-z]{20,}$",
    ),
    ("npm-token", &["npm_"], r"^npm_[A-Za-z0-9]{36}$"),
    (
        "jwt",
        &["eyJ"],
        r"^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$",
    ),
];

fn credential_shape(v: &str) -> Option<&'static str> {
    static RES: OnceLock<Vec<Regex>> = OnceLock::new();
    let res = RES.get_or_init(|| {
        SHAPES
            .iter()
            .map(|(_, _, re)| Regex::new(re).expect("valid pattern"))
            .collect()
    });
    SHAPES
        .iter()
        .zip(res)
        .find(|((_, prefixes, _), re)| prefixes.iter().any(|p| v.starts_with(p)) && re.is_match(v))
        .map(|((name, _, _), _)| *name)
}

/// The byte ranges of the passwords of `scheme://user:password@` URLs in `text` (templates and
/// placeholders left out). The password runs to the last `@` before the host, so one holding an
/// unescaped `@` is masked whole.
fn url_passwords(text: &str) -> Vec<Range<usize>> {
    static RE: OnceLock<Regex> = OnceLock::new();
    if !text.contains("://") {
        return Vec::new();
    }
    let re = RE.get_or_init(|| {
        Regex::new(r"[A-Za-z][A-Za-z0-9+.-]*://[^:@/\s?#]*:([^\s/?#]+)@").expect("valid pattern")
    });
    re.captures_iter(text)
        .filter_map(|c| c.get(1))
        .filter(|m| holds_data(m.as_str(), true))
        .map(|m| m.range())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Allow-list.

/// The policy's list of values to leave in clear (syntax in the module docs).
#[derive(Debug, Default)]
pub struct AllowList {
    entries: Vec<Allow>,
}

#[derive(Debug)]
enum Allow {
    Rule(Regex),
    Path(Regex),
    At(Regex, Regex),
}

impl AllowList {
    /// Reads entries separated by commas or new lines; blank entries are skipped.
    pub fn parse(text: &str) -> AllowList {
        let entries = text
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| {
                if let Some(rule) = e.strip_prefix("rule=") {
                    Allow::Rule(glob(rule.trim()))
                } else if let Some((pointer, path)) = e.split_once('#') {
                    Allow::At(glob(pointer.trim()), glob(path.trim()))
                } else {
                    Allow::Path(glob(e))
                }
            })
            .collect();
        AllowList { entries }
    }

    /// Whether it allows nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True when an entry matches the value at `path` in the string at `pointer`, or its rule.
    pub fn allows(&self, pointer: &str, path: &str, rule: &str) -> bool {
        self.entries.iter().any(|e| match e {
            Allow::Rule(r) => r.is_match(rule),
            Allow::Path(p) => p.is_match(path),
            Allow::At(ptr, p) => ptr.is_match(pointer) && p.is_match(path),
        })
    }
}

/// A pattern where `*` is any run of characters and everything else is literal.
fn glob(pattern: &str) -> Regex {
    let body: Vec<String> = pattern.split('*').map(regex_lite::escape).collect();
    Regex::new(&format!("^{}$", body.join(".*"))).expect("an escaped pattern is valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Where a case's text goes in the document.
    enum In {
        /// A pack's values.
        Values(&'static str),
        /// A manifest's content.
        Manifest(&'static str),
        /// A variable: name, default value.
        Var(&'static str, &'static str),
    }
    use In::*;

    const GH_TOKEN: &str = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
    const PEM_BLOCK: &str = "private_key: |\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIEowIBAAKCAQEA7x\n  -----END RSA PRIVATE KEY-----\nafter: kept\n";

    /// What the case shows, the input, the (key, rule) of each value masked, in order.
    type Case = (&'static str, In, Vec<(&'static str, &'static str)>);

    #[rustfmt::skip]
    fn cases() -> Vec<Case> {
        let gh = Box::leak(format!("ci:\n  cloneWith: {GH_TOKEN}\n").into_boxed_str());
        vec![
            // Secret-named keys.
            ("hello-universe dbPassword", Values("manifests:\n  hello-universe:\n    dbPassword: cGFzc3dvcmQ= # base64\n"), vec![("/manifests/hello-universe/dbPassword", "key-name:password")]),
            ("authToken", Values("authToken: dG9rZW4tdmFsdWU=\n"), vec![("/authToken", "key-name:token")]),
            ("weak words under a secret key are still secrets", Values("password: changeme\n"), vec![("/password", "key-name:password")]),
            ("REPLACE_ME too", Values("db:\n  rootPassword: REPLACE_ME\n"), vec![("/db/rootPassword", "key-name:password")]),
            ("snake case", Values("DB_PASSWD: 'hunter2'\n"), vec![("/DB_PASSWD", "key-name:passwd")]),
            ("apiKey", Values("agent:\n  apiKey: \"0123abcd\"\n"), vec![("/agent/apiKey", "key-name:apikey")]),
            ("clientSecret", Values("oidc:\n  clientSecret: abc\n"), vec![("/oidc/clientSecret", "key-name:secret")]),
            ("a UUID under a Secret key is a secret", Values("oidc:\n  clientSecret: 5f0e7a2c-9b1d-4e8a-a3c6-2d4b6f8e0a1c\n"), vec![("/oidc/clientSecret", "key-name:secret")]),
            ("AWS secret access key", Values("AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"), vec![("/AWS_SECRET_ACCESS_KEY", "key-name:secretaccesskey")]),
            ("credentials block", Values("cloud:\n  credentials: |\n    [default]\n    aws_access_key_id = x\n"), vec![("/cloud/credentials", "key-name:credentials")]),
            ("a list under a secret key, each element", Values("users:\n  - name: a\n    token: t1\n  - name: b\n    token: t2\n"), vec![("/users/0/token", "key-name:token"), ("/users/1/token", "key-name:token")]),
            ("env name/value pair", Values("env:\n  - name: DB_PASSWORD\n    value: hunter2\n  - name: LOG_LEVEL\n    value: debug\n"), vec![("/env/0/value", "env-name:password")]),
            ("a quoted number is a string", Values("pin:\n  password: \"123456\"\n"), vec![("/pin/password", "key-name:password")]),
            // Not secrets, though the key says so.
            ("empty", Values("dbPassword: \"\"\nauthToken:\n"), vec![]),
            ("a macro", Values("dbPassword: '{{.spectro.macro.DB_PASSWORD}}'\n"), vec![]),
            ("a template with a pipe", Values("password: \"{{ .spectro.var.db_password | b64enc }}\"\n"), vec![]),
            ("an env substitution", Values("password: ${DB_PASSWORD}\n"), vec![]),
            ("masked already", Values("password: \"********\"\n"), vec![]),
            ("a boolean", Values("enablePassword: true\nauth:\n  token: false\n"), vec![]),
            ("a null", Values("password: null\ntoken: ~\n"), vec![]),
            ("a plain number", Values("tokenTTL: 3600\nsecret: 42\n"), vec![]),
            // Look-alike keys.
            ("secretName is a reference", Values("tls:\n  secretName: db-creds\n"), vec![]),
            ("existingSecret is a reference", Values("auth:\n  existingSecret: db-creds\n  existingSecretPasswordKey: password\n"), vec![]),
            ("a key ending in Secret that names one", Values("imagePullSecret: quay-io-robot-secret\nstorageClass:\n  provisionerSecret: csi-rbd-secret\n"), vec![]),
            ("passwordPolicy", Values("passwordPolicy: strict\n"), vec![]),
            ("tokenizer", Values("model:\n  tokenizer: bert-base-uncased\n"), vec![]),
            ("secretRef, passwordKey, tokenFile", Values("secretRef: s\npasswordKey: password\ntokenFile: /var/run/token\n"), vec![]),
            ("a toleration key", Values("tolerations:\n  - key: node-role.kubernetes.io/control-plane\n    effect: NoSchedule\n"), vec![]),
            ("a low-entropy access key", Values("minio:\n  accessKey: minio\n"), vec![]),
            ("a dashed name under key", Values("key: kubernetes-dashboard-v2-and-more\n"), vec![]),
            ("a uid that is not under a secret key", Values("registry:\n  uid: 5e2031962f090e2d3d8a3290\n"), vec![]),
            // Shapes.
            ("PEM in a literal block", Values(PEM_BLOCK), vec![("/private_key", "pem-private-key")]),
            ("PEM under an innocent key", Values("tls:\n  key.pem: \"-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEE\\n-----END EC PRIVATE KEY-----\\n\"\n"), vec![("/tls/key.pem", "pem-private-key")]),
            ("a certificate is public", Values("ca: |\n  -----BEGIN CERTIFICATE-----\n  MIIC\n  -----END CERTIFICATE-----\n"), vec![]),
            ("AWS access key id", Values("s3:\n  accessKeyId: AKIAIOSFODNN7EXAMPLE\n"), vec![("/s3/accessKeyId", "pattern:aws-access-key")]),
            ("AKIA-ish but not a key", Values("label: AKIA-not-a-key\n"), vec![]),
            ("GitHub token", Values(gh), vec![("/ci/cloneWith", "pattern:github-token")]),
            ("Slack bot token", Values("notify: xoxb-123456789012-abcdefghijkl\n"), vec![("/notify", "pattern:slack-token")]),
            ("Slack webhook", Values("alerts:\n  url: https://hooks.slack.com/services/T000/B000/XXXXXXXX\n"), vec![("/alerts/url", "pattern:slack-webhook")]),
            ("JWT", Values("bearer: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl\n"), vec![("/bearer", "pattern:jwt")]),
            ("a token pattern wins over the key name", Values("token: AKIAIOSFODNN7EXAMPLE\n"), vec![("/token", "pattern:aws-access-key")]),
            ("high entropy under auth", Values("webhook:\n  auth: Zx8Vq3Lm9Tp2Rk7Wb4Nc\n"), vec![("/webhook/auth", "entropy")]),
            ("high entropy elsewhere is not looked at", Values("build:\n  id: Zx8Vq3Lm9Tp2Rk7Wb4Nc\n"), vec![]),
            // URLs.
            ("a URL password, only the password", Values("db:\n  url: postgres://app:Pa55w0rd@db:5432/app # primary\n"), vec![("/db/url", "url-password")]),
            ("a quoted URL with an empty user", Values("cache: \"redis://:hunter2@redis:6379/0\"\n"), vec![("/cache", "url-password")]),
            ("a URL with no password", Values("repo: https://user@example.com/path\nsite: https://example.com:8443/x\n"), vec![]),
            ("a URL whose password is a macro", Values("url: \"postgres://app:{{.spectro.var.pw}}@db/app\"\n"), vec![]),
            ("a password with an @", Values("dsn: mysql://root:p@ss@db:3306/x\n"), vec![("/dsn", "url-password")]),
            ("an escaped password: the whole scalar", Values("dsn: \"mysql://root:p\\x41ss@db/x\"\n"), vec![("/dsn", "url-password")]),
            ("two URLs in one value", Values("hosts: |\n  a=postgres://u:one1@a/x\n  b=postgres://u:two2@b/x\n"), vec![("/hosts", "url-password"), ("/hosts", "url-password")]),
            // Manifests.
            ("Secret stringData", Manifest("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-creds\ntype: Opaque\nstringData:\n  username: app\n  password: s3cret-pw\n"), vec![("/stringData/username", "k8s-secret-data"), ("/stringData/password", "k8s-secret-data")]),
            ("Secret data after a ConfigMap, base64", Manifest("kind: ConfigMap\ndata:\n  mode: fast\n  blob: aGVsbG8gd29ybGQ=\n---\nkind: Secret\nmetadata:\n  name: tls\ndata:\n  tls.key: LS0tLS1CRUdJTg==\n  empty: \"\"\n"), vec![("[1]/data/tls.key", "k8s-secret-data")]),
            ("a ConfigMap's data is not secret", Manifest("kind: ConfigMap\ndata:\n  blob: aGVsbG8gd29ybGQ=\n"), vec![]),
            ("a Secret's data from a macro", Manifest("kind: Secret\nstringData:\n  token: \"{{.spectro.macro.TOKEN}}\"\n"), vec![]),
            ("a Deployment's env in a manifest", Manifest("kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          env:\n            - name: API_TOKEN\n              value: tok-123\n"), vec![("/spec/template/spec/containers/0/env/0/value", "env-name:token")]),
            // Variables.
            ("a secret-named variable", Var("dbPassword", "hunter2"), vec![("", "key-name:password")]),
            ("a plain variable", Var("region", "eu-west-1"), vec![]),
            ("a variable holding a URL", Var("dbUrl", "mysql://root:toor@db:3306/x"), vec![("", "url-password")]),
            ("a variable from a macro", Var("githubToken", "{{.spectro.macro.GH}}"), vec![]),
            ("a sensitive variable palette-mask took out", Var("apiToken", "********"), vec![]),
        ]
    }

    fn document(input: &In) -> String {
        let (values, manifests, variables) = match *input {
            Values(v) => (v, json!([]), json!([])),
            Manifest(m) => ("k: v\n", json!([{"name": "m", "content": m}]), json!([])),
            Var(name, value) => (
                "k: v\n",
                json!([]),
                json!([{"name": name, "defaultValue": value}]),
            ),
        };
        json!({
            "metadata": {"name": "p"},
            "spec": {"version": "1.0.0", "template": {"packs": [
                {"name": "first", "values": "other: value\n"},
                {"name": "pack", "values": values, "manifests": manifests}
            ]}, "variables": variables}
        })
        .to_string()
    }

    #[test]
    fn finds_secrets_and_leaves_look_alikes() {
        let cases = cases();
        assert!(cases.len() >= 40);
        for (what, input, expected) in &cases {
            let doc = document(input);
            let out = scan(&doc, &AllowList::default())
                .unwrap_or_else(|e| panic!("{what}: {e}"))
                .output;
            let found: Vec<(&str, &str)> = out
                .masked
                .iter()
                .map(|m| (m.key.as_str(), m.rule.as_str()))
                .collect();
            assert_eq!(&found, expected, "{what}");
            let Some(masked) = out.document else {
                assert!(expected.is_empty(), "{what}: no document");
                continue;
            };
            let pointer = match input {
                Values(_) => "/spec/template/packs/1/values",
                Manifest(_) => "/spec/template/packs/1/manifests/0/content",
                Var(..) => "/spec/variables/0/defaultValue",
            };
            assert!(out.masked.iter().all(|m| m.pointer == pointer), "{what}");
            for m in &out.masked {
                assert!(
                    !masked.contains(&m.value),
                    "{what}: {} left in clear",
                    m.value
                );
            }
            assert_eq!(
                masked.matches(PLACEHOLDER).count(),
                expected.len(),
                "{what}: {masked}"
            );
            // The masked text is still valid YAML, and restoring gives back every byte.
            let profile = crate::document::Profile::parse(&masked).unwrap();
            if let Some(v) = &profile.spec.template.packs[1].values {
                values::scalars(v).unwrap_or_else(|e| panic!("{what}: {e}: {v}"));
            }
            assert_eq!(restore(&masked, &out.masked).unwrap(), doc, "{what}");
        }
    }

    #[test]
    fn only_the_masked_scalars_change() {
        let values = "# hello-universe\nmanifests:\n  hello-universe:\n    dbPassword: 'c2VjcmV0' # base64\n    authToken: dG9rZW4=\n    key: |- # pem\n      -----BEGIN PRIVATE KEY-----\n      MII\n      -----END PRIVATE KEY-----\n    url: postgres://app:Pa55@db/app\n    port: 8080\n";
        let out = scan_yaml(values, false).unwrap();
        let edits = out
            .iter()
            .map(|h| (h.range.clone(), h.replacement.to_string()))
            .collect();
        assert_eq!(
            values::replace(values, edits),
            "# hello-universe\nmanifests:\n  hello-universe:\n    dbPassword: \"********\" # base64\n    authToken: \"********\"\n    key: \"********\"\n    url: postgres://app:********@db/app\n    port: 8080\n"
        );
        assert_eq!(
            &values[out[0].range.clone()],
            "'c2VjcmV0'",
            "the source text, quotes and all"
        );
    }

    #[test]
    fn the_json_around_the_values_keeps_its_bytes() {
        // Go's encoder escapes `<`, `>` and `&`; spacing and field order are the exporter's.
        let doc = "{\"spec\": {\"template\": {\"packs\": [{\"values\": \"a: \\u003cb\\u003e\\npassword: s\\u0065cret\\n# \\u00e9\\ud83d\\ude00\\ntoken: x\\n\", \"name\": \"p\"}]},\n  \"variables\": [{\"name\": \"apiKey\", \"defaultValue\": \"k\\u0026y\"}]}, \"metadata\": {\"name\": \"n\"}}";
        let out = scan(doc, &AllowList::default()).unwrap().output;
        let masked = out.document.unwrap();
        assert_eq!(
            masked,
            "{\"spec\": {\"template\": {\"packs\": [{\"values\": \"a: \\u003cb\\u003e\\npassword: \\\"********\\\"\\n# \\u00e9\\ud83d\\ude00\\ntoken: \\\"********\\\"\\n\", \"name\": \"p\"}]},\n  \"variables\": [{\"name\": \"apiKey\", \"defaultValue\": \"********\"}]}, \"metadata\": {\"name\": \"n\"}}"
        );
        let values: Vec<&str> = out.masked.iter().map(|m| m.value.as_str()).collect();
        assert_eq!(values, ["secret", "x", "k&y"]);
    }

    #[test]
    fn nothing_found_leaves_the_document_alone() {
        let doc = document(&Values("replicas: 2\nimage: nginx\n"));
        let out = scan(&doc, &AllowList::default()).unwrap();
        assert_eq!(out.output.document, None);
        assert!(out.output.masked.is_empty() && out.allowed.is_empty());
    }

    #[test]
    fn the_allow_list_silences_by_rule_path_and_place() {
        let doc = document(&Values(
            "charts:\n  app:\n    password: a1\n    authToken: a2\n    auth: Zx8Vq3Lm9Tp2Rk7Wb4Nc\n    dbPassword: a3\n    url: postgres://u:a4@h/d\n",
        ));
        let allow = AllowList::parse(
            "rule=entropy, charts.app.password\n /spec/template/packs/*/values # *.authToken ,\n/spec/template/packs/0/values#charts.app.dbPassword",
        );
        let out = scan(&doc, &allow).unwrap();
        let masked: Vec<&str> = out.output.masked.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(
            masked,
            ["/charts/app/dbPassword", "/charts/app/url"],
            "pack 0 is not this one"
        );
        let allowed: Vec<(&str, &str)> = out
            .allowed
            .iter()
            .map(|l| (l.key.as_str(), l.rule.as_str()))
            .collect();
        assert_eq!(
            allowed,
            [
                ("/charts/app/password", "key-name:password"),
                ("/charts/app/authToken", "key-name:token"),
                ("/charts/app/auth", "entropy")
            ]
        );
        let text = out.output.document.unwrap();
        assert!(text.contains("password: a1") && !text.contains("a3") && !text.contains("a4"));

        let vars = document(&Var("dbPassword", "pw"));
        assert!(
            scan(&vars, &AllowList::parse("dbPassword"))
                .unwrap()
                .output
                .masked
                .is_empty()
        );
        let multi = document(&Manifest("a: 1\n---\nkind: Secret\ndata:\n  k: dg==\n"));
        assert!(
            scan(&multi, &AllowList::parse("[1].data.*"))
                .unwrap()
                .output
                .masked
                .is_empty()
        );
        assert!(AllowList::parse(" , \n").is_empty());
    }

    #[test]
    fn restoring_something_that_is_not_there_is_an_error() {
        let doc = document(&Values("a: 1\n"));
        let stray = MaskedValue {
            pointer: "/spec/template/packs/1/values".into(),
            key: "/nope".into(),
            value: "v".into(),
            rule: "r".into(),
        };
        let err = restore(&doc, &[stray]).unwrap_err();
        assert!(err.contains("/nope") && !err.contains(": v"), "{err}");
    }

    #[test]
    fn invalid_yaml_names_the_string() {
        let Err(err) = scan(&document(&Values("a: [1")), &AllowList::default()) else {
            panic!("invalid YAML accepted");
        };
        assert!(
            err.starts_with("pack 'pack' values (/spec/template/packs/1/values): invalid YAML"),
            "{err}"
        );
    }
}
