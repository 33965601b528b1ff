//! A pack's schema constraints (`required`, `format`, `regex`) checked against its values YAML.
//!
//! Decisions where Palette's documentation is silent:
//! - A field is present when a scalar at its path, or below it (a map or list value), is not
//!   empty (`""`, `~`, `null`). For a path through a list (`a.$[].b`) that list must have elements
//!   for `required` to apply: an empty optional list is not a missing value.
//! - `format` and `regex` judge scalars only, and skip empty values, the `********` placeholder
//!   (`value-masked` reports those) and values holding a `{{ ... }}` template, which Palette
//!   resolves only when it deploys.
//! - Formats checked: `number`, `boolean`, `ipv4`, `ipv4cidr`, `version` (`[v]1[.2[.3]][-pre][+build]`)
//!   and `list:[A,B]` (one of the options). Others (`string`, `password`, newer ones) pass.
//! - `regex` matches anywhere in the value, as Go's `regexp.MatchString` does; a pattern that does
//!   not compile is skipped, not reported against the user's value.

use std::net::Ipv4Addr;

use regex_lite::Regex;

use crate::mask::PLACEHOLDER;
use crate::types::SchemaField;
use crate::values::{self, Scalar};

/// How a value breaks its schema field.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The field is required and has no value.
    Required,
    /// The value, and the format it fails.
    Format {
        /// The value.
        value: String,
        /// The format, e.g. `${number}`.
        format: String,
    },
    /// The value, and the pattern it does not match.
    Regex {
        /// The value.
        value: String,
        /// The pattern.
        pattern: String,
    },
}

/// One value at fault against its pack's schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The schema field's name (a dotted path, maybe with `$[]`).
    pub field: String,
    /// The dotted path of the value at fault (for `required`, the field's path).
    pub yaml_path: String,
    /// What is wrong with it.
    pub problem: Problem,
}

fn is_empty(value: &str) -> bool {
    matches!(value.trim(), "" | "~" | "null")
}

fn is_template(value: &str) -> bool {
    value.contains("{{")
}

/// Checks `fields` against the scalars of one values document.
pub fn check(scalars: &[Scalar], fields: &[SchemaField]) -> Vec<Violation> {
    let mut out = Vec::new();
    for field in fields {
        let name = field.name.trim();
        if name.is_empty() {
            continue;
        }
        if field.required && !present(scalars, name) {
            out.push(Violation {
                field: name.to_string(),
                yaml_path: name.to_string(),
                problem: Problem::Required,
            });
        }
        for s in values::find(scalars, name) {
            if is_empty(&s.value) || s.value == PLACEHOLDER || is_template(&s.value) {
                continue;
            }
            if let Some(format) = format_mismatch(field, &s.value) {
                out.push(Violation {
                    field: name.to_string(),
                    yaml_path: s.dotted(),
                    problem: Problem::Format {
                        value: s.value.clone(),
                        format,
                    },
                });
            }
            if let Some(pattern) = field.regex.as_deref().filter(|p| !p.is_empty())
                && Regex::new(pattern).is_ok_and(|re| !re.is_match(&s.value))
            {
                out.push(Violation {
                    field: name.to_string(),
                    yaml_path: s.dotted(),
                    problem: Problem::Regex {
                        value: s.value.clone(),
                        pattern: pattern.to_string(),
                    },
                });
            }
        }
    }
    out
}

/// A non-empty scalar at `path` or below it; through a list, only when the list has elements.
fn present(scalars: &[Scalar], path: &str) -> bool {
    let below = format!("{path}.");
    let at_or_below = |s: &Scalar| {
        let d = s.dotted();
        d == path || d.starts_with(&below)
    };
    if let Some((list, _)) = path.split_once(".$[]") {
        let in_list = format!("{list}.$[]");
        if !scalars.iter().any(|s| s.dotted().starts_with(&in_list)) {
            return true;
        }
    }
    scalars
        .iter()
        .any(|s| at_or_below(s) && !is_empty(&s.value))
}

/// The format a value fails, if it fails one this module checks.
fn format_mismatch(field: &SchemaField, value: &str) -> Option<String> {
    let format = field.format.trim();
    let v = value.trim();
    let ok = if !field.list_options.is_empty() {
        field.list_options.iter().any(|o| o.trim() == v)
    } else {
        match format {
            "${number}" => v.parse::<f64>().is_ok(),
            "${boolean}" => matches!(v.to_ascii_lowercase().as_str(), "true" | "false"),
            "${ipv4}" => v.parse::<Ipv4Addr>().is_ok(),
            "${ipv4cidr}" => v.split_once('/').is_some_and(|(ip, bits)| {
                ip.parse::<Ipv4Addr>().is_ok() && bits.parse::<u8>().is_ok_and(|b| b <= 32)
            }),
            "${version}" => is_version(v),
            _ => true,
        }
    };
    (!ok).then(|| format.to_string())
}

fn is_version(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    let (core, _) = v.split_once(['-', '+']).unwrap_or((v, ""));
    let parts: Vec<&str> = core.split('.').collect();
    (1..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse_field;

    fn run(yaml: &str, fields: &[(&str, &str)]) -> Vec<(String, Problem)> {
        let fields: Vec<_> = fields.iter().map(|(n, t)| parse_field(n, t)).collect();
        check(&values::scalars(yaml).unwrap(), &fields)
            .into_iter()
            .map(|v| (v.yaml_path, v.problem))
            .collect()
    }

    #[test]
    fn required_fields_must_have_a_value() {
        let yaml = "a:\n  set: x\n  empty: \"\"\n  tree:\n    leaf: 1\n  users: []\n  masked: \"********\"\n";
        let found = run(
            yaml,
            &[
                ("a.set", "{{ required }}"),
                ("a.empty", "{{ required }}"),
                ("a.absent", "{{ required }}"),
                ("a.tree", "{{ required }}"),
                ("a.users.$[].name", "{{ required }}"),
                ("a.masked", "{{ required }}"),
            ],
        );
        let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["a.empty", "a.absent"]);
        assert!(found.iter().all(|(_, p)| *p == Problem::Required));
    }

    #[test]
    fn formats_and_patterns_are_checked_on_real_values_only() {
        let yaml = "n: ten\nok: 10\nb: yes\nip: 10.0.0.300\ncidr: 10.0.0.0/8\nv: 1.2\nbadv: one\npick: Keep\nname: Web_1\ntpl: \"{{ .spectro.macro.N }}\"\nsecret: \"********\"\n";
        let found = run(
            yaml,
            &[
                ("n", r#"{{ format "${number}" }}"#),
                ("ok", r#"{{ format "${number}" }}"#),
                ("b", r#"{{ format "${boolean}" }}"#),
                ("ip", r#"{{ format "${ipv4}" }}"#),
                ("cidr", r#"{{ format "${ipv4cidr}" }}"#),
                ("v", r#"{{ format "${version}" }}"#),
                ("badv", r#"{{ format "${version}" }}"#),
                ("pick", r#"{{ format "${list:[Delete, Retain]}" }}"#),
                ("name", r#"{{ regex "^[a-z0-9-]+$" }}"#),
                ("tpl", r#"{{ format "${number}" }}"#),
                ("secret", r#"{{ format "${number}" | regex "^x$" }}"#),
                ("ok", r#"{{ regex "([" }}"#),
            ],
        );
        let got: Vec<(&str, String)> = found
            .iter()
            .map(|(p, prob)| {
                let what = match prob {
                    Problem::Format { format, .. } => format.clone(),
                    Problem::Regex { pattern, .. } => pattern.clone(),
                    Problem::Required => "required".into(),
                };
                (p.as_str(), what)
            })
            .collect();
        assert_eq!(
            got,
            [
                ("n", "${number}".to_string()),
                ("b", "${boolean}".into()),
                ("ip", "${ipv4}".into()),
                ("badv", "${version}".into()),
                ("pick", "${list:[Delete, Retain]}".into()),
                ("name", "^[a-z0-9-]+$".into()),
            ]
        );
    }
}
