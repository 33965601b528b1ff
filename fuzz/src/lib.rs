//! What each fuzz target checks, one function per target: never a panic, and where the code makes
//! a promise (an edit in place, a round trip), that it keeps it. The targets in fuzz_targets/ call
//! these; the root `cargo test` runs them again on every input kept in `fuzz/regressions/<target>/`
//! (host/tests: `fuzz_regressions`), so a crash once found stays fixed.

use std::path::Path;
use std::sync::OnceLock;

use ferry_formats::config::crypto::{self, KdfParams, Key};
use ferry_formats::config::passphrase::Passphrase;
use ferry_formats::config::store::ConfigFile;
use ferry_formats::manifest::Manifest;
use ferry_plugin_api::document::{Profile, Skim, pack_pointer};
use ferry_plugin_api::json_text::{self, Literal};
use ferry_plugin_api::mask::mask_document;
use ferry_plugin_api::scan::{self, AllowList};
use ferry_plugin_api::{refs, values};

/// What a target checks one input with: it panics where the code broke a promise.
pub type Check = fn(&[u8]);

/// The targets, by name: what `fuzz/run` runs and what `fuzz/regressions/` is sorted by.
pub const TARGETS: &[(&str, Check)] = &[
    ("document", document),
    ("values", values),
    ("scan", scan),
    ("refs", refs),
    ("envelope", envelope),
    ("config", config),
    ("manifest", manifest),
];

/// The export document model: what parses writes back to an equal model, and every string the
/// skim borrows is where it says it is.
pub fn document(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(profile) = Profile::parse(text) {
        let again = Profile::parse(&profile.to_json()).expect("a written profile parses");
        assert_eq!(again, profile, "a profile changed through a round trip");
    }
    let Ok(skim) = Skim::parse(text) else {
        return;
    };
    for pack in skim.packs() {
        let manifests = pack.manifests.iter().flatten().filter_map(|m| m.content);
        for raw in pack.values.into_iter().chain(manifests) {
            assert_eq!(&text[json_text::place(text, raw)], raw.get());
            let _ = Literal::of(text, raw);
        }
    }
    for var in skim.variables().into_iter().flatten() {
        let _ = var.model();
        if let Some(raw) = var.default_value {
            let _ = Literal::of(text, raw);
        }
    }
}

/// The values-YAML walker and the in-place editor: every scalar's span is a slice of the text,
/// every key finds a scalar, and masking every scalar then restoring gives the text back byte for
/// byte (inside a document, as a masker sees it).
pub fn values(data: &[u8]) {
    let Ok(yaml) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(docs) = values::document_scalars(yaml) else {
        return;
    };
    for scalar in docs.iter().flatten() {
        assert!(
            yaml.get(scalar.span.clone()).is_some(),
            "span {:?} is not a slice of the text",
            scalar.span
        );
    }
    let keyed = values::keyed_scalars(yaml).expect("the text parsed once");
    for (key, _) in &keyed {
        assert!(values::is_key(key), "{key:?} is not spelled as a key");
        assert!(
            values::find_key(&docs, key).is_some(),
            "{key:?} finds nothing"
        );
    }
    let document =
        serde_json::json!({"spec": {"template": {"packs": [{"name": "p", "values": yaml}]}}})
            .to_string();
    let all = |_: &str, _: &values::Scalar| Some("all".to_string());
    let output = match mask_document(&document, |_| true, all, |_| None) {
        Ok(output) => output,
        // Refused, saying why: YAML that a replacement would read differently.
        Err(e) if e.contains("cannot be replaced in place") => return,
        Err(e) => panic!("the values parsed once, masking failed: {e}"),
    };
    let Some(masked) = output.document else {
        return;
    };
    let restored = scan::restore(&masked, &output.masked).expect("a masked document restores");
    same_document(&restored, &document);
    assert!(json_text::string_at(&masked, &pack_pointer(0, "values")).is_some());
}

/// The secret scanner: what it masks restores to the original byte for byte. The input is an
/// export document, optionally after an allow-list and a NUL.
pub fn scan(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (allow, document) = text.split_once('\0').unwrap_or(("", text));
    let allow = AllowList::parse(allow);
    let Ok(found) = scan::scan(document, &allow) else {
        return;
    };
    let Some(masked) = found.output.document else {
        return;
    };
    let restored =
        scan::restore(&masked, &found.output.masked).expect("a scanned document restores");
    same_document(&restored, document);
}

/// A restored document is the original byte for byte, unless the original spells a character
/// with an escape JSON leaves optional and that spelling was inside a masked value: the restored
/// one is written as the rest of the document shows (`json_text::Escapes`), and must then be the
/// same JSON.
fn same_document(restored: &str, original: &str) {
    if restored == original {
        return;
    }
    let optional = ["<", ">", "&", "\\u", "\\/"];
    assert!(
        optional.iter().any(|o| original.contains(o)),
        "restore changed the document:\n{restored:?}\n{original:?}"
    );
    let value = |text: &str| serde_json::from_str::<serde_json::Value>(text).expect("JSON");
    assert_eq!(
        value(restored),
        value(original),
        "restore changed the document"
    );
}

/// The macro and variable reference scanner: spans are slices of the text that read `{{…}}` and
/// name what they say; a text that is only a reference has exactly one, covering it.
pub fn refs(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for r in refs::references(text) {
        let whole = text
            .get(r.span.clone())
            .expect("a span is a slice of the text");
        assert!(
            whole.starts_with("{{") && whole.ends_with("}}"),
            "{whole:?}"
        );
        assert!(
            whole.contains(&r.name),
            "{whole:?} does not name {:?}",
            r.name
        );
    }
    if refs::is_only_reference(text) {
        let trimmed = text.trim();
        let found = refs::references(trimmed);
        assert_eq!(found.len(), 1, "{trimmed:?}");
        assert_eq!(found[0].span, 0..trimmed.len());
    }
}

/// The sealed-envelope decoder: any text opens or is refused with an error (never with the fuzzer's
/// key, which it cannot know), and what is sealed opens again to the same bytes. The input is the
/// envelope text; its bytes are also sealed, with the text as the place.
pub fn envelope(data: &[u8]) {
    // Cheap parameters: the decoder is what is fuzzed, not Argon2.
    static KEY: OnceLock<Key> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        let cheap = KdfParams {
            m_kib: 8,
            t: 1,
            p: 1,
        };
        Key::derive(&Passphrase::new("fuzz-Passphrase-1"), cheap, [7; 16])
    });
    let text = String::from_utf8_lossy(data);
    let _ = crypto::is_legacy(&text);
    assert!(
        crypto::open(key, &text, "fuzz").is_err(),
        "a forged envelope opened"
    );
    let sealed = crypto::seal(key, data, &text);
    let opened = crypto::open(key, &sealed, &text).expect("a sealed value opens");
    assert_eq!(opened.as_slice(), data);
}

/// The config file loader: any text loads or is refused with an error, and what loads is saved
/// and loaded again unchanged.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("config.yaml");
    let Ok(mut config) = ConfigFile::parse(text, path) else {
        return;
    };
    let _ = config.select(None);
    for (_, sealed) in config.sealed_values_mut() {
        let _ = crypto::is_legacy(sealed);
    }
    let saved = config.to_text().expect("a loaded config saves");
    let again = ConfigFile::parse(&saved, path).expect("a saved config loads");
    assert_eq!(again, config, "the config changed through a save");
}

/// The plugin manifest parser: any text parses or is refused with an error, and what parses is
/// written (as `ferry plugin install` records it) and parses again unchanged.
pub fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(manifest) = Manifest::parse(text, "fuzz") else {
        return;
    };
    let _ = manifest.check_contract();
    let written = toml::to_string(&manifest).expect("a parsed manifest writes");
    let again = Manifest::parse(&written, "fuzz").expect("a written manifest parses");
    assert_eq!(again, manifest, "the manifest changed through a write");
}
