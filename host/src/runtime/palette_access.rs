//! Which Palette API requests a plugin may make through `palette-api`: an allow-list, not a rule
//! about methods. `palette-api:read` covers what export and validate steps need; a write needs
//! `palette-api:write`, the import step, and a run that is not a dry run.

use super::manifest::Step;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}
use Access::{Read, Write};

/// Every request a plugin may make. In a pattern, `{}` is one path segment: a uid or a name
/// (letters, digits, `-`, `_`, `.`; not starting with `.`).
const ALLOWED: &[(&str, &str, Access)] = &[
    // export: find the profile, read it, and who and where the key is
    ("GET", "/v1/dashboard/clusterprofiles/metadata", Read),
    ("GET", "/v1/dashboard/projects/metadata", Read),
    ("GET", "/v1/users/info", Read),
    ("GET", "/v1/clusterprofiles/{}", Read),
    ("GET", "/v1/clusterprofiles/{}/export", Read),
    // validate: names, registries, packs and macros of the target
    ("GET", "/v1/clusterprofiles/validate/name", Read),
    ("GET", "/v1/clusterprofiles/macros", Read),
    ("GET", "/v1/registries/metadata", Read),
    ("GET", "/v1/packs", Read),
    ("GET", "/v1/packs/{}", Read),
    ("GET", "/v1/packs/{}/registries/{}", Read),
    ("GET", "/v1/projects/{}/macros", Read),
    ("GET", "/v1/tenants/{}/macros", Read),
    ("GET", "/v1/users/system/macros", Read),
    // validate: checks that change nothing, though they are POSTs
    ("POST", "/v1/clusterprofiles/import/validate", Read),
    ("POST", "/v1/clusterprofiles/validate/packs", Read),
    // import
    ("POST", "/v1/clusterprofiles/import", Write),
    ("POST", "/v1/clusterprofiles/import/file", Write),
];

/// What the call in progress is: which step, and whether nothing may be written.
#[derive(Clone, Copy, Debug)]
pub struct CallScope {
    pub step: Step,
    pub dry_run: bool,
}

/// Whether a plugin granted `palette-api` (`write`: `palette-api:write`) may send this request in
/// this call. The path is checked as the client will send it, after URL parsing.
pub fn check(method: &str, path: &str, write: bool, call: CallScope) -> Result<(), String> {
    crate::palette::client::check_api_path(path)?;
    let method = method.to_ascii_uppercase();
    let access = ALLOWED
        .iter()
        .find(|(m, pattern, _)| *m == method && matches(pattern, path))
        .map(|(_, _, access)| *access)
        .ok_or_else(|| {
            format!(
                "{method} {path} is denied: it is not one of the Palette requests ferry lets plugins make (docs/SECURITY.md lists them)"
            )
        })?;
    let denied = |why: String| Err(format!("{method} {path} is denied: {why}"));
    match access {
        Read => Ok(()),
        Write if !write => denied("it needs palette-api:write".into()),
        Write if call.step != Step::Import => denied(format!(
            "only the import step may write, and this is the {} step",
            call.step
        )),
        Write if call.dry_run => denied("this is a dry run, in which nothing is written".into()),
        Write => Ok(()),
    }
}

fn matches(pattern: &str, path: &str) -> bool {
    let (mut want, mut got) = (pattern.split('/'), path.split('/'));
    loop {
        match (want.next(), got.next()) {
            (None, None) => return true,
            (Some("{}"), Some(segment)) if is_name(segment) => {}
            (Some(w), Some(g)) if w == g => {}
            _ => return false,
        }
    }
}

fn is_name(segment: &str) -> bool {
    !segment.is_empty()
        && !segment.starts_with('.')
        && segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALIDATE: CallScope = CallScope {
        step: Step::Validate,
        dry_run: false,
    };
    const IMPORT: CallScope = CallScope {
        step: Step::Import,
        dry_run: false,
    };

    #[test]
    fn read_is_the_listed_requests_only() {
        assert!(check("GET", "/v1/clusterprofiles/abc123/export", false, VALIDATE).is_ok());
        assert!(check("get", "/v1/users/info", false, VALIDATE).is_ok());
        assert!(
            check(
                "POST",
                "/v1/clusterprofiles/validate/packs",
                false,
                VALIDATE
            )
            .is_ok()
        );
        for (method, path) in [
            ("GET", "/v1/auth/org"),
            ("GET", "/v1/clusterprofiles/a/b/c"),
            ("DELETE", "/v1/clusterprofiles/abc"),
            ("POST", "/v1/clusterprofiles/abc/clone"),
            ("GET", "/v1/clusterprofiles/%2e%2e"),
        ] {
            let err = check(method, path, true, IMPORT).unwrap_err();
            assert!(err.contains("is denied") || err.contains("path"), "{err}");
        }
    }

    #[test]
    fn write_needs_the_grant_the_import_step_and_no_dry_run() {
        let import = |write, call| check("POST", "/v1/clusterprofiles/import", write, call);
        assert!(import(true, IMPORT).is_ok());
        assert!(
            import(false, IMPORT)
                .unwrap_err()
                .contains("needs palette-api:write")
        );
        assert!(
            import(true, VALIDATE)
                .unwrap_err()
                .contains("only the import step")
        );
        let dry = CallScope {
            dry_run: true,
            ..IMPORT
        };
        assert!(import(true, dry).unwrap_err().contains("dry run"));
    }
}
