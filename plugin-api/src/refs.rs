//! References to Palette macros, system values, other packs and profile variables inside a text:
//! `{{.spectro.macro.NAME}}`, `{{ .spectro.system.cluster.name | upper }}`, `{{.spectro.var.X}}`,
//! `{{ .spectro.pack.PACK.KEY }}`.

use std::ops::Range;
use std::sync::OnceLock;

use regex_lite::Regex;

/// What a `{{.spectro.KIND.NAME}}` reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A user macro: defined per project, tenant or system; not carried by an export.
    Macro,
    /// A built-in value such as `cluster.name`; always present.
    System,
    /// A value of another pack of the profile.
    Pack,
    /// A profile variable; must be declared in `spec.variables`.
    Var,
}

/// One `{{.spectro.…}}` reference found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// What it points at.
    pub kind: Kind,
    /// What follows the kind: `NAME` for macros and variables, `PACK.KEY` for packs.
    pub name: String,
    /// Where the whole `{{ ... }}` is in the text, in bytes.
    pub span: Range<usize>,
}

fn pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\{\{\s*\.spectro\.(macro|system|pack|var)\.([A-Za-z0-9_.-]+)\s*(\|[^}]*)?\}\}")
            .expect("valid pattern")
    })
}

/// Every reference in `text`, in order.
pub fn references(text: &str) -> Vec<Reference> {
    pattern()
        .captures_iter(text)
        .map(|c| Reference {
            kind: match &c[1] {
                "macro" => Kind::Macro,
                "system" => Kind::System,
                "pack" => Kind::Pack,
                _ => Kind::Var,
            },
            name: c[2].to_string(),
            span: c.get(0).expect("whole match").range(),
        })
        .collect()
}

/// True when the whole text (trimmed) is one reference: a value that points elsewhere
/// rather than holding data of its own.
pub fn is_only_reference(text: &str) -> bool {
    let t = text.trim();
    pattern()
        .find(t)
        .is_some_and(|m| m.start() == 0 && m.end() == t.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_kind_with_spacing_and_pipes() {
        let text = "a: {{.spectro.macro.REGION}}\nb: \"{{ .spectro.system.cluster.name | upper }}\"\nc: {{.spectro.var.db-host}}\nd: {{ .spectro.pack.kubeflow.namespace }}\ne: {{ .Values.other }}";
        let found: Vec<_> = references(text)
            .into_iter()
            .map(|r| (r.kind, r.name))
            .collect();
        assert_eq!(
            found,
            [
                (Kind::Macro, "REGION".to_string()),
                (Kind::System, "cluster.name".to_string()),
                (Kind::Var, "db-host".to_string()),
                (Kind::Pack, "kubeflow.namespace".to_string()),
            ]
        );
    }

    #[test]
    fn tells_a_pure_reference_from_data() {
        assert!(is_only_reference(" {{ .spectro.macro.DB_PASSWORD }} "));
        assert!(!is_only_reference("pre-{{.spectro.macro.X}}"));
        assert!(!is_only_reference("hunter2"));
    }
}
