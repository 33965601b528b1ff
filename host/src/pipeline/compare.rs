//! What differs between two profile documents, place by place: the one comparison behind the
//! read-back check after an import ([`super::verify`]) and `ferry diff`.
//!
//! - Packs, manifests (within their pack) and variables are matched by name: uids and order
//!   differ between environments. Registries are compared by name and kind, for the same reason.
//! - A values YAML or a manifest is compared scalar by scalar, by YAML path (a manifest of several
//!   `---` documents by document and path, as the maskers name them; array elements by index). A
//!   text that is not YAML is compared whole, and only said to differ.
//! - Secrets (the places a masker took a value from, and sensitive variables) are compared by
//!   SHA-256 digest and never shown. A value that either side holds as `********` (Palette
//!   withholds it) cannot be compared: it is counted, not reported.
//! - Fields ferry does not model (a pack's unknown fields, uids) are not compared.

use std::collections::{BTreeMap, BTreeSet};

use ferry_plugin_api::document::{Manifest, Pack, Profile, Variable};
use ferry_plugin_api::mask::PLACEHOLDER;
use ferry_plugin_api::values;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Where secrets are, as (`PACK/values` | `PACK/manifests/NAME` | `variables/NAME`, key inside
/// it): places by name hold across two documents whose packs are in another order.
pub type Places = BTreeSet<(String, String)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    Changed,
}

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        }
    }

    fn sign(self) -> char {
        match self {
            Change::Added => '+',
            Change::Removed => '-',
            Change::Changed => '~',
        }
    }
}

/// What a difference is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Profile,
    Pack(String),
    Variable(String),
}

/// Which part of the subject differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// The pack or variable itself is on one side only.
    Itself,
    /// A field: the profile's `version`, `description`, `label KEY`, `type`, `cloudType`; a
    /// pack's `version`, `tag`, `type`, `layer`, `registry`; a variable's `format`, `isSensitive`...
    Field(String),
    /// A pack's values YAML.
    Values,
    /// A manifest of a pack, by name.
    Manifest(String),
    /// A variable's default value.
    Default,
}

/// One difference between the first document and the second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub change: Change,
    pub subject: Subject,
    pub what: What,
    /// The dotted YAML path of a value in values or a manifest; `None` for the text as a whole.
    pub path: Option<String>,
    /// The value on each side; `None` where it is absent, or secret, or a whole text.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Compared by digest: its values are never kept here.
    pub secret: bool,
}

/// The differences, and how much was compared.
#[derive(Debug, Default, Clone)]
pub struct Comparison {
    /// Packs on either side.
    pub packs: usize,
    /// Values found on both sides and compared (secrets included).
    pub values: usize,
    pub secrets_by_digest: usize,
    /// Values either side holds as `********`: not compared.
    pub withheld: usize,
    pub differences: Vec<Difference>,
}

/// Compares two documents: what changes from `a` to `b`. `secrets` are the places whose values
/// must never be shown (of either document).
pub fn profiles(a: &Profile, b: &Profile, secrets: &Places) -> Comparison {
    let mut c = Comparison::default();
    let profile = |c: &mut Comparison, field: &str, x: Option<&str>, y: Option<&str>| {
        c.field(Subject::Profile, field, x, y)
    };
    profile(
        &mut c,
        "version",
        Some(&a.spec.version),
        Some(&b.spec.version),
    );
    profile(
        &mut c,
        "description",
        a.metadata.description.as_deref(),
        b.metadata.description.as_deref(),
    );
    let (la, lb) = (labels(&a.metadata.labels), labels(&b.metadata.labels));
    for key in union(la.keys(), lb.keys()) {
        let field = format!("label {key}");
        profile(
            &mut c,
            &field,
            la.get(key).map(String::as_str),
            lb.get(key).map(String::as_str),
        );
    }
    let (ta, tb) = (&a.spec.template, &b.spec.template);
    profile(&mut c, "type", ta.kind.as_deref(), tb.kind.as_deref());
    profile(
        &mut c,
        "cloudType",
        ta.cloud_type.as_deref(),
        tb.cloud_type.as_deref(),
    );

    let packs_b: BTreeMap<&str, &Pack> = tb.packs.iter().map(|p| (p.name.as_str(), p)).collect();
    let names_a: BTreeSet<&str> = ta.packs.iter().map(|p| p.name.as_str()).collect();
    for pack in &ta.packs {
        c.packs += 1;
        match packs_b.get(pack.name.as_str()) {
            Some(other) => c.pack(pack, other, secrets),
            None => c.whole(
                Change::Removed,
                Subject::Pack(pack.name.clone()),
                pack.version.clone(),
            ),
        }
    }
    for pack in tb
        .packs
        .iter()
        .filter(|p| !names_a.contains(p.name.as_str()))
    {
        c.packs += 1;
        c.whole(
            Change::Added,
            Subject::Pack(pack.name.clone()),
            pack.version.clone(),
        );
    }

    let (va, vb) = (variables(a), variables(b));
    let by_name: BTreeMap<&str, &Variable> = vb.iter().map(|v| (v.name.as_str(), v)).collect();
    let names_a: BTreeSet<&str> = va.iter().map(|v| v.name.as_str()).collect();
    for var in va {
        match by_name.get(var.name.as_str()) {
            Some(other) => c.variable(var, other, secrets),
            None => c.whole(Change::Removed, Subject::Variable(var.name.clone()), None),
        }
    }
    for var in vb.iter().filter(|v| !names_a.contains(v.name.as_str())) {
        c.whole(Change::Added, Subject::Variable(var.name.clone()), None);
    }
    c
}

impl Comparison {
    fn push(&mut self, d: Difference) {
        self.differences.push(d);
    }

    fn whole(&mut self, change: Change, subject: Subject, version: Option<String>) {
        let (from, to) = match change {
            Change::Added => (None, version),
            _ => (version, None),
        };
        self.push(Difference {
            change,
            subject,
            what: What::Itself,
            path: None,
            from,
            to,
            secret: false,
        });
    }

    /// A field shown in clear on both sides.
    fn field(&mut self, subject: Subject, field: &str, a: Option<&str>, b: Option<&str>) {
        let change = match (a, b) {
            (x, y) if x == y => return,
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            _ => Change::Changed,
        };
        self.push(Difference {
            change,
            subject,
            what: What::Field(field.to_string()),
            path: None,
            from: a.map(str::to_string),
            to: b.map(str::to_string),
            secret: false,
        });
    }

    fn pack(&mut self, a: &Pack, b: &Pack, secrets: &Places) {
        let subject = || Subject::Pack(a.name.clone());
        for (field, x, y) in [
            ("version", &a.version, &b.version),
            ("tag", &a.tag, &b.tag),
            ("type", &a.kind, &b.kind),
            ("layer", &a.layer, &b.layer),
        ] {
            self.field(subject(), field, x.as_deref(), y.as_deref());
        }
        let (ra, rb) = (registry(&a.registry), registry(&b.registry));
        if ra != rb {
            let (x, y) = registry_labels(ra, rb);
            self.field(subject(), "registry", x.as_deref(), y.as_deref());
        }
        let place = format!("{}/values", a.name);
        self.text(
            subject(),
            What::Values,
            (a.values.as_deref(), b.values.as_deref()),
            &place,
            secrets,
        );
        let manifests = |p: &Pack| -> BTreeMap<String, Manifest> {
            p.manifests
                .iter()
                .flatten()
                .map(|m| (m.name.clone(), m.clone()))
                .collect()
        };
        let (ma, mb) = (manifests(a), manifests(b));
        for name in union(ma.keys(), mb.keys()) {
            let what = What::Manifest(name.clone());
            let content = |m: &BTreeMap<String, Manifest>| {
                m.get(name).map(|m| m.content.clone().unwrap_or_default())
            };
            match (content(&ma), content(&mb)) {
                (Some(x), Some(y)) => {
                    let place = format!("{}/manifests/{name}", a.name);
                    self.text(subject(), what, (Some(&x), Some(&y)), &place, secrets);
                }
                (x, _) => self.push(Difference {
                    change: if x.is_some() {
                        Change::Removed
                    } else {
                        Change::Added
                    },
                    subject: subject(),
                    what,
                    path: None,
                    from: None,
                    to: None,
                    secret: false,
                }),
            }
        }
    }

    /// A values YAML or a manifest's content, scalar by scalar.
    fn text(
        &mut self,
        subject: Subject,
        what: What,
        (a, b): (Option<&str>, Option<&str>),
        place: &str,
        secrets: &Places,
    ) {
        let whole = |change| Difference {
            change,
            subject: subject.clone(),
            what: what.clone(),
            path: None,
            from: None,
            to: None,
            secret: false,
        };
        let (a, b) = match (a, b) {
            (None, None) => return,
            (Some(_), None) => return self.push(whole(Change::Removed)),
            (None, Some(_)) => return self.push(whole(Change::Added)),
            (Some(a), Some(b)) => (a, b),
        };
        let (Ok(da), Ok(db)) = (values::document_scalars(a), values::document_scalars(b)) else {
            if a != b {
                self.push(whole(Change::Changed));
            }
            return;
        };
        let several = da.len() > 1 || db.len() > 1;
        let index = |docs: &[Vec<values::Scalar>]| -> Vec<Keyed> {
            docs.iter()
                .enumerate()
                .flat_map(|(n, scalars)| {
                    scalars.iter().map(move |s| Keyed {
                        doc: n,
                        pointer: values::pointer(&s.path),
                        dotted: if several {
                            format!("[{n}].{}", s.dotted())
                        } else {
                            s.dotted()
                        },
                        value: s.value.clone(),
                    })
                })
                .collect()
        };
        let (ka, kb) = (index(&da), index(&db));
        let in_b: BTreeMap<(usize, &str), &Keyed> = kb
            .iter()
            .map(|k| ((k.doc, k.pointer.as_str()), k))
            .collect();
        let in_a: BTreeSet<(usize, &str)> =
            ka.iter().map(|k| (k.doc, k.pointer.as_str())).collect();
        // The maskers name a value of a single document by its pointer, else `[n]` + pointer.
        let secret = |k: &Keyed| {
            let has = |key: String| secrets.contains(&(place.to_string(), key));
            has(format!("[{}]{}", k.doc, k.pointer)) || (k.doc == 0 && has(k.pointer.clone()))
        };
        for k in &ka {
            let at = Some(k.dotted.clone());
            match in_b.get(&(k.doc, k.pointer.as_str())) {
                Some(other) => self.value(
                    subject.clone(),
                    what.clone(),
                    at,
                    (&k.value, &other.value),
                    secret(k),
                ),
                None => self.one_side(
                    Change::Removed,
                    subject.clone(),
                    what.clone(),
                    at,
                    &k.value,
                    secret(k),
                ),
            }
        }
        for k in kb
            .iter()
            .filter(|k| !in_a.contains(&(k.doc, k.pointer.as_str())))
        {
            let at = Some(k.dotted.clone());
            self.one_side(
                Change::Added,
                subject.clone(),
                what.clone(),
                at,
                &k.value,
                secret(k),
            );
        }
    }

    /// A value found on both sides.
    fn value(
        &mut self,
        subject: Subject,
        what: What,
        path: Option<String>,
        (a, b): (&str, &str),
        secret: bool,
    ) {
        if a == PLACEHOLDER || b == PLACEHOLDER {
            self.withheld += 1;
            return;
        }
        self.values += 1;
        let differs = if secret {
            self.secrets_by_digest += 1;
            digest(a) != digest(b)
        } else {
            a != b
        };
        if differs {
            let shown = |v: &str| (!secret).then(|| v.to_string());
            self.push(Difference {
                change: Change::Changed,
                subject,
                what,
                path,
                from: shown(a),
                to: shown(b),
                secret,
            });
        }
    }

    /// A value found on one side only.
    fn one_side(
        &mut self,
        change: Change,
        subject: Subject,
        what: What,
        path: Option<String>,
        value: &str,
        secret: bool,
    ) {
        let value = (!secret).then(|| value.to_string());
        let (from, to) = match change {
            Change::Added => (None, value),
            _ => (value, None),
        };
        self.push(Difference {
            change,
            subject,
            what,
            path,
            from,
            to,
            secret,
        });
    }

    fn variable(&mut self, a: &Variable, b: &Variable, secrets: &Places) {
        let subject = || Subject::Variable(a.name.clone());
        let place = (format!("variables/{}", a.name), String::new());
        // A sensitive variable's default is a secret on either side.
        let secret = secrets.contains(&place)
            || a.is_sensitive == Some(true)
            || b.is_sensitive == Some(true);
        match (&a.default_value, &b.default_value) {
            (None, None) => {}
            (Some(x), Some(y)) => self.value(subject(), What::Default, None, (x, y), secret),
            (Some(x), None) => {
                self.one_side(Change::Removed, subject(), What::Default, None, x, secret)
            }
            (None, Some(y)) => {
                self.one_side(Change::Added, subject(), What::Default, None, y, secret)
            }
        }
        let sensitive = |v: &Variable| v.is_sensitive.map(|s| s.to_string());
        self.field(
            subject(),
            "isSensitive",
            sensitive(a).as_deref(),
            sensitive(b).as_deref(),
        );
        for key in union(a.extra.keys(), b.extra.keys()) {
            let (x, y) = (a.extra.get(key).map(text), b.extra.get(key).map(text));
            self.field(subject(), key, x.as_deref(), y.as_deref());
        }
    }
}

fn variables(p: &Profile) -> &[Variable] {
    p.spec.variables.as_deref().unwrap_or_default()
}

/// A scalar with its place: the document it is in and its JSON pointer there.
struct Keyed {
    doc: usize,
    pointer: String,
    dotted: String,
    value: String,
}

fn digest(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

/// The keys of both maps, each once, in order.
fn union<'a>(
    a: impl Iterator<Item = &'a String>,
    b: impl Iterator<Item = &'a String>,
) -> BTreeSet<&'a String> {
    a.chain(b).collect()
}

/// A JSON value as one line of text: a string as it is, anything else as JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A profile's labels (tags), as text.
fn labels(labels: &Option<Map<String, Value>>) -> BTreeMap<String, String> {
    labels
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), text(v)))
        .collect()
}

/// A pack's registry as (name, kind): what identifies it across environments.
fn registry(r: &Option<Value>) -> Option<(String, String)> {
    let meta = r.as_ref()?.get("metadata")?;
    let field = |k: &str| {
        meta.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    Some((field("name"), field("kind")))
}

/// Registries as people tell them apart: by name, and by kind where the names are the same.
fn registry_labels(
    a: Option<(String, String)>,
    b: Option<(String, String)>,
) -> (Option<String>, Option<String>) {
    let same_name = matches!((&a, &b), (Some(x), Some(y)) if x.0 == y.0);
    let label = |r: Option<(String, String)>| {
        r.map(|(name, kind)| {
            if same_name {
                format!("{name} ({kind})")
            } else {
                name
            }
        })
    };
    (label(a), label(b))
}

impl std::fmt::Display for Difference {
    /// One line, as `ferry diff` lists it: `~ pack istio 1.6.2 → 1.6.3`,
    /// `~ values app: controller.replicas: 1 → 3`, `+ variable region`. Long values are cut.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ", self.change.sign())?;
        match (&self.subject, &self.what) {
            (Subject::Profile, _) => f.write_str("profile")?,
            (Subject::Pack(p), What::Values) => write!(f, "values {p}")?,
            (Subject::Pack(p), What::Manifest(m)) => write!(f, "manifest {p}/{m}")?,
            (Subject::Pack(p), _) => write!(f, "pack {p}")?,
            (Subject::Variable(v), _) => write!(f, "variable {v}")?,
        }
        match &self.what {
            // `~ pack istio 1.6.2 → 1.6.3`, `+ pack cert-manager 1.9.1`
            What::Itself => {}
            What::Field(name) if name == "version" && self.subject != Subject::Profile => {}
            What::Field(name) => write!(f, " {name}:")?,
            What::Default => f.write_str(" default:")?,
            What::Values | What::Manifest(_) => match &self.path {
                Some(path) => write!(f, ": {path}:")?,
                None if self.change == Change::Changed => {
                    return f.write_str(": the text differs (not YAML)");
                }
                None => return Ok(()),
            },
        }
        if self.secret {
            return f.write_str(match self.change {
                Change::Changed => " secret differs",
                _ => " (secret)",
            });
        }
        match (&self.from, &self.to) {
            (Some(a), Some(b)) => write!(f, " {} → {}", shown(a), shown(b)),
            (Some(v), None) | (None, Some(v)) => write!(f, " {}", shown(v)),
            (None, None) => Ok(()),
        }
    }
}

/// A value on one line: as it is when that reads unambiguously, else quoted; cut when long.
fn shown(value: &str) -> String {
    const LONG: usize = 120;
    let plain = !value.is_empty()
        && value.trim() == value
        && !value.contains(['\n', '"', '→'])
        && value.chars().all(|c| !c.is_control());
    let mut text = if plain {
        value.to_string()
    } else {
        values::quoted(value)
    };
    if text.chars().count() > LONG {
        let cut: String = text.chars().take(LONG).collect();
        text = format!("{cut}… ({} bytes)", value.len());
    }
    text
}

/// The places of `secrets` (JSON pointer into `document`, key inside that string) by name, as
/// [`profiles`] looks them up.
pub fn secret_places(document: &str, secrets: &[(String, String)]) -> Result<Places, String> {
    let profile = Profile::parse(document)?;
    let mut out = BTreeSet::new();
    for (pointer, key) in secrets {
        let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
        let place = match parts.as_slice() {
            ["spec", "template", "packs", i, rest @ ..] => {
                let Some(pack) = i
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| profile.spec.template.packs.get(i))
                else {
                    continue;
                };
                match rest {
                    ["values"] => format!("{}/values", pack.name),
                    ["manifests", m, "content"] => {
                        let Some(manifest) = m
                            .parse::<usize>()
                            .ok()
                            .and_then(|m| pack.manifests.as_ref()?.get(m))
                        else {
                            continue;
                        };
                        format!("{}/manifests/{}", pack.name, manifest.name)
                    }
                    _ => continue,
                }
            }
            ["spec", "variables", i, "defaultValue"] => {
                let Some(var) = i
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| profile.spec.variables.as_ref()?.get(i))
                else {
                    continue;
                };
                format!("variables/{}", var.name)
            }
            _ => continue,
        };
        out.insert((place, key.clone()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = r#"{"metadata":{"name":"p","labels":{"team":"web"}},"spec":{"version":"1.0.0","template":{"type":"add-on","packs":[
      {"name":"app","version":"1.0.0","values":"a: 1\npass: s3cr3t\nkey: k\n","registry":{"metadata":{"uid":"1","name":"Public Repo","kind":"pack"}}},
      {"name":"creds","type":"manifest","manifests":[{"name":"db","content":"kind: Secret\nx: 1\n---\nkind: ConfigMap\nx: 2\n"}]}]},
      "variables":[{"name":"v","defaultValue":"x","format":"string"}]}}"#;

    fn parse(text: &str) -> Profile {
        Profile::parse(text).unwrap()
    }

    fn pass() -> Places {
        secret_places(
            A,
            &[("/spec/template/packs/0/values".into(), "/pass".into())],
        )
        .unwrap()
    }

    fn lines(c: &Comparison) -> Vec<String> {
        c.differences.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_same_document_has_no_differences_and_counts_what_it_compared() {
        let b = A.replace("\"uid\":\"1\"", "\"uid\":\"other\"");
        let c = profiles(&parse(A), &parse(&b), &pass());
        assert!(c.differences.is_empty(), "{:?}", lines(&c));
        // a, pass, key; the manifest's two documents of two values each; v.
        assert_eq!((c.packs, c.values, c.secrets_by_digest), (2, 8, 1));
    }

    #[test]
    fn each_kind_of_change_reads_as_one_line() {
        let b = A
            .replace("a: 1\\n", "a: 2\\nnew: y\\n")
            .replace("key: k\\n", "")
            .replace(
                "\"version\":\"1.0.0\",\"values\"",
                "\"version\":\"1.1.0\",\"values\"",
            )
            .replace("Public Repo", "Mirror")
            .replace("x: 2", "x: 3")
            .replace("\"format\":\"string\"", "\"format\":\"number\"")
            .replace("\"team\":\"web\"", "\"team\":\"ops\"")
            .replace("\"variables\":[", "\"variables\":[{\"name\":\"w\"},")
            .replace(
                "{\"name\":\"creds\"",
                "{\"name\":\"extra\",\"version\":\"2.0.0\"},{\"name\":\"creds\"",
            );
        let c = profiles(&parse(A), &parse(&b), &pass());
        assert_eq!(
            lines(&c),
            [
                "~ profile label team: web → ops",
                "~ pack app 1.0.0 → 1.1.0",
                "~ pack app registry: Public Repo → Mirror",
                "~ values app: a: 1 → 2",
                "- values app: key: k",
                "+ values app: new: y",
                "~ manifest creds/db: [1].x: 2 → 3",
                "+ pack extra 2.0.0",
                "~ variable v format: string → number",
                "+ variable w",
            ]
        );
    }

    #[test]
    fn a_changed_secret_is_reported_without_its_value() {
        let b = A.replace("s3cr3t", "other");
        let c = profiles(&parse(A), &parse(&b), &pass());
        assert_eq!(lines(&c), ["~ values app: pass: secret differs"]);
        let d = &c.differences[0];
        assert!(d.secret && d.from.is_none() && d.to.is_none());
        // Gone on one side: still not shown.
        let b = A.replace("pass: s3cr3t\\n", "");
        let c = profiles(&parse(A), &parse(&b), &pass());
        assert_eq!(lines(&c), ["- values app: pass: (secret)"]);
    }

    #[test]
    fn withheld_values_and_sensitive_variables_are_not_shown() {
        let b = A.replace("key: k", "key: '********'").replace(
            "{\"name\":\"v\",\"defaultValue\":\"x\"",
            "{\"name\":\"v\",\"defaultValue\":\"y\",\"isSensitive\":true",
        );
        let c = profiles(&parse(A), &parse(&b), &pass());
        assert_eq!(c.withheld, 1);
        assert_eq!(
            lines(&c),
            [
                "~ variable v default: secret differs",
                "+ variable v isSensitive: true"
            ]
        );
    }

    #[test]
    fn text_that_is_not_yaml_is_said_to_differ_without_its_content() {
        let a = A.replace("a: 1\\n", "a: [1\\n");
        let b = A.replace("a: 1\\n", "a: [2\\n");
        let c = profiles(&parse(&a), &parse(&b), &Places::new());
        assert_eq!(lines(&c), ["~ values app: the text differs (not YAML)"]);
    }

    #[test]
    fn long_and_multi_line_values_are_quoted_and_cut() {
        assert_eq!(shown("true"), "true");
        assert_eq!(shown(""), "\"\"");
        assert_eq!(shown("a\nb"), "\"a\\nb\"");
        let long = shown(&"x".repeat(300));
        assert!(
            long.ends_with("… (300 bytes)") && long.len() < 140,
            "{long}"
        );
    }
}
