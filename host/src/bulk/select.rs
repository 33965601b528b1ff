//! Which profiles of the source a bulk run moves: named ones (`NAME` or `NAME@VERSION`), every one
//! (`--all`), those with a label (`--selector KEY=VALUE`), or those a file lists (`--from-file`,
//! one `NAME[@VERSION]` a line, `#` comments). A profile named without a version is its highest
//! version (as the export step picks it), every version with `--all-versions`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use ferry_plugin_api::export::{Candidate, choose, version_order};

use crate::palette::ProfileSummary;

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub names: Vec<String>,
    pub all: bool,
    pub selector: Option<(String, String)>,
    pub from_file: Option<PathBuf>,
    pub all_versions: bool,
}

impl Selection {
    /// The selection as one line, the same for the same request: it keys the default journal.
    pub fn canonical(&self) -> String {
        let mut names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        names.sort_unstable();
        format!(
            "names={};all={};selector={};file={};all-versions={}",
            names.join(","),
            self.all,
            self.selector
                .as_ref()
                .map(|(k, v)| format!("{k}={v}"))
                .unwrap_or_default(),
            self.from_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            self.all_versions
        )
    }

    /// The profiles of `source` (the source's list) this selects, each once, in the list's order.
    pub fn resolve(&self, source: &[ProfileSummary]) -> anyhow::Result<Vec<ProfileSummary>> {
        Ok(self.resolve_each(&[source])?.pop().unwrap_or_default())
    }

    /// [`Selection::resolve`] in each of several lists (a run reading several projects): a name
    /// picks its highest version in each list that has it, and is an error only when none has it.
    pub fn resolve_each(
        &self,
        sources: &[&[ProfileSummary]],
    ) -> anyhow::Result<Vec<Vec<ProfileSummary>>> {
        let mut names = self.names.clone();
        if let Some(path) = &self.from_file {
            let text = crate::cli::user_file::read(path, "the list")?;
            names.extend(
                text.lines()
                    .map(|l| l.split('#').next().unwrap_or("").trim())
                    .filter(|l| !l.is_empty())
                    .map(str::to_string),
            );
        }
        // Per name, the reason it is missing from the first list, while it is missing from all.
        let mut missing: Vec<Option<String>> = vec![None; names.len()];
        let mut found = vec![false; names.len()];
        let mut out = Vec::new();
        for source in sources {
            let (chosen, absent) = self.pick(source, &names);
            for (i, why) in absent.into_iter().enumerate() {
                match why {
                    None => found[i] = true,
                    Some(why) => {
                        missing[i].get_or_insert(why);
                    }
                }
            }
            out.push(chosen);
        }
        let missing: Vec<String> = missing
            .into_iter()
            .zip(found)
            .filter_map(|(why, found)| if found { None } else { why })
            .collect();
        if !missing.is_empty() {
            anyhow::bail!("{}", missing.join("; "));
        }
        Ok(out)
    }

    /// What this selects in one list, and for each of `names` why it is not in it (`None`: it is).
    fn pick(
        &self,
        source: &[ProfileSummary],
        names: &[String],
    ) -> (Vec<ProfileSummary>, Vec<Option<String>>) {
        let candidates: Vec<Candidate> = source
            .iter()
            .map(|p| Candidate {
                uid: p.uid.clone(),
                name: p.name.clone(),
                version: p.version.clone(),
            })
            .collect();
        let mut wanted: BTreeSet<String> = BTreeSet::new();
        let mut by_name: Vec<&str> = Vec::new();
        if self.all {
            by_name.extend(source.iter().map(|p| p.name.as_str()));
        }
        if let Some((key, value)) = &self.selector {
            by_name.extend(
                source
                    .iter()
                    .filter(|p| p.labels.get(key) == Some(value))
                    .map(|p| p.name.as_str()),
            );
        }
        let mut absent = Vec::new();
        for text in names {
            absent.push(match text.split_once('@') {
                Some((name, version)) => match choose(&candidates, name, Some(version)) {
                    Ok(uid) => {
                        wanted.insert(uid);
                        None
                    }
                    Err(e) => Some(e),
                },
                None if candidates.iter().any(|c| &c.name == text) => {
                    by_name.push(text);
                    None
                }
                None => Some(format!(
                    "no cluster profile named '{text}' exists (in any version)"
                )),
            });
        }
        by_name.sort_unstable();
        by_name.dedup();
        for name in by_name {
            let named = candidates.iter().filter(|c| c.name == name);
            // The highest version (two profiles at it, a tenant's and a project's, are both taken).
            let top = named
                .clone()
                .map(|c| c.version.as_str())
                .max_by(|a, b| version_order(a, b))
                .unwrap_or_default();
            wanted.extend(
                named
                    .filter(|c| self.all_versions || c.version == top)
                    .map(|c| c.uid.clone()),
            );
        }
        let chosen = source
            .iter()
            .filter(|p| wanted.contains(&p.uid))
            .cloned()
            .collect();
        (chosen, absent)
    }
}

/// Parses `--selector KEY=VALUE`.
pub fn parse_selector(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err(format!(
            "--selector {text:?}: expected a label as KEY=VALUE, e.g. team=web"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(uid: &str, name: &str, version: &str, team: &str) -> ProfileSummary {
        ProfileSummary {
            name: name.into(),
            version: version.into(),
            uid: uid.into(),
            profile_type: "add-on".into(),
            scope: "tenant".into(),
            labels: [("team".to_string(), team.to_string())].into(),
        }
    }

    fn source() -> Vec<ProfileSummary> {
        vec![
            p("u1", "web", "1.9.0", "web"),
            p("u2", "web", "1.10.0", "web"),
            p("u3", "db", "2.0.0", "data"),
            p("u4", "cache", "1.0.0", "data"),
        ]
    }

    fn uids(sel: &Selection) -> Vec<String> {
        sel.resolve(&source())
            .unwrap()
            .into_iter()
            .map(|p| p.uid)
            .collect()
    }

    #[test]
    fn names_take_the_highest_version_unless_all_versions() {
        let mut sel = Selection {
            names: vec!["web".into(), "db@2.0.0".into()],
            ..Selection::default()
        };
        assert_eq!(uids(&sel), ["u2", "u3"]);
        sel.all_versions = true;
        assert_eq!(uids(&sel), ["u1", "u2", "u3"]);
    }

    #[test]
    fn all_selector_and_file() {
        let all = Selection {
            all: true,
            ..Selection::default()
        };
        assert_eq!(uids(&all), ["u2", "u3", "u4"]);
        let data = Selection {
            selector: Some(("team".into(), "data".into())),
            ..Selection::default()
        };
        assert_eq!(uids(&data), ["u3", "u4"]);
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("list");
        std::fs::write(&list, "# to move\nweb@1.9.0\n\ncache # the cache\n").unwrap();
        let file = Selection {
            from_file: Some(list),
            ..Selection::default()
        };
        assert_eq!(uids(&file), ["u1", "u4"]);
    }

    #[test]
    fn an_unknown_name_or_version_says_what_exists() {
        let sel = Selection {
            names: vec!["nope".into(), "web@3.0.0".into()],
            ..Selection::default()
        };
        let err = sel.resolve(&source()).unwrap_err().to_string();
        assert!(err.contains("no cluster profile named 'nope'"), "{err}");
        assert!(err.contains("versions that exist: 1.9.0, 1.10.0"), "{err}");
    }

    #[test]
    fn in_several_lists_a_name_is_missing_only_when_no_list_has_it() {
        let other = vec![
            p("u9", "queue", "1.0.0", "data"),
            p("u8", "web", "0.1.0", "web"),
        ];
        let sel = Selection {
            names: vec!["queue".into(), "web".into()],
            ..Selection::default()
        };
        let each = sel.resolve_each(&[&source(), &other]).unwrap();
        let uids = |l: &[ProfileSummary]| l.iter().map(|p| p.uid.clone()).collect::<Vec<_>>();
        // Each list's own highest version of web.
        assert_eq!(uids(&each[0]), ["u2"]);
        assert_eq!(uids(&each[1]), ["u9", "u8"]);
        let none = Selection {
            names: vec!["nope".into()],
            ..Selection::default()
        };
        assert!(none.resolve_each(&[&source(), &other]).is_err());
    }
}
