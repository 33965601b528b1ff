//! Findings as people and programs read them: a table with where each one is and how to fix it,
//! or a JSON array whose objects carry the macro, variable, pack, registry or profile by name, and
//! the fix (the `ferry` arguments that resolve it) as a list a script can append.

use serde_json::{Value, json};

use super::table::{self, Output};
use crate::pipeline::Reported;
use crate::runtime::bindings::types::{Finding, Severity, Subject};

/// A severity as both outputs spell it.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

/// What a finding is about: (kind, name), as both outputs spell it.
pub fn subject(s: &Subject) -> (&'static str, &str) {
    match s {
        Subject::Macro(n) => ("macro", n),
        Subject::Variable(n) => ("variable", n),
        Subject::Pack(n) => ("pack", n),
        Subject::Registry(n) => ("registry", n),
        Subject::Profile(n) => ("profile", n),
    }
}

/// Adds the arguments that fix a finding to its JSON object, as a list, when its plugin gave
/// them (a 1.0.0 plugin never does). Absent rather than null: what a plugin's fixtures expect
/// (`ferry plugin test`) stays as it was before fixes existed.
pub fn add_fix(object: &mut Value, f: &Finding) {
    if let Some(fix) = &f.fix {
        object["fix"] = json!(fix.args);
    }
}

/// The arguments that fix a finding, quoted for a shell.
fn fix_line(f: &Finding) -> Option<String> {
    f.fix.as_ref().map(|fix| super::shell::line(&fix.args))
}

/// One finding as a JSON object.
pub fn to_json(r: &Reported) -> Value {
    let f = &r.finding;
    let mut v = json!({
        "severity": severity(f.severity), "code": f.code, "message": f.message,
        "path": f.path, "yamlPath": f.yaml_path, "hint": f.hint, "plugin": r.plugin,
    });
    add_fix(&mut v, f);
    if let Some(s) = &f.subject {
        let (kind, name) = subject(s);
        v[kind] = json!(name);
    }
    v
}

/// Where a finding is: its JSON pointer and, inside a YAML text, its path there.
fn place(r: &Reported) -> String {
    match (&r.finding.path, &r.finding.yaml_path) {
        (Some(p), Some(y)) => format!("{p} {y}"),
        (Some(p), None) => p.clone(),
        _ => "-".into(),
    }
}

/// Findings for a narrow terminal: severity, code and place on one line, then the message, the
/// hint and the fix, indented; a blank line between findings.
fn blocks(findings: &[Reported]) -> String {
    let mut out = String::new();
    for (i, r) in findings.iter().enumerate() {
        let f = &r.finding;
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            "{} {}  {}\n  {}\n",
            severity(f.severity),
            f.code,
            place(r),
            f.message
        ));
        if let Some(hint) = &f.hint {
            out.push_str(&format!("  hint: {hint}\n"));
        }
        if let Some(fix) = fix_line(f) {
            out.push_str(&format!("  fix: {fix}\n"));
        }
    }
    out
}

/// Prints findings: a table on stdout (blocks on a terminal too narrow for it), or a JSON array.
pub fn print(findings: &[Reported], output: Output) -> anyhow::Result<()> {
    match output {
        Output::Json => {
            let all: Vec<Value> = findings.iter().map(to_json).collect();
            table::print_stdout(&(serde_json::to_string_pretty(&all)? + "\n"))?;
        }
        Output::Table if findings.is_empty() => eprintln!("no findings"),
        Output::Table => {
            let rows: Vec<[String; 6]> = findings
                .iter()
                .map(|r| {
                    let f = &r.finding;
                    [
                        severity(f.severity).to_string(),
                        f.code.clone(),
                        f.message.clone(),
                        place(r),
                        f.hint.clone().unwrap_or_else(|| "-".into()),
                        fix_line(f).unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            let text = table::render(
                &["SEVERITY", "CODE", "MESSAGE", "WHERE", "HINT", "FIX"],
                &rows,
            );
            let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
            // A table wider than the terminal wraps into a jumble: one block per finding there.
            match console::Term::stdout().size_checked() {
                Some((_, columns)) if widest > usize::from(columns) => {
                    table::print_stdout(&blocks(findings))?
                }
                _ => table::print_stdout(&text)?,
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::bindings::types::Fix;

    #[test]
    fn blocks_put_message_and_hint_under_their_finding() {
        let finding = |code: &str, hint: Option<&str>, fix: Option<&[&str]>| Reported {
            plugin: "palette-validate".into(),
            finding: Finding {
                severity: Severity::Error,
                code: code.into(),
                message: format!("the {code} message"),
                path: Some("/spec/template/packs/2".into()),
                yaml_path: None,
                subject: None,
                hint: hint.map(str::to_string),
                fix: fix.map(|args| Fix {
                    args: args.iter().map(|a| a.to_string()).collect(),
                }),
            },
        };
        let text = blocks(&[
            finding(
                "pack-missing",
                Some("take it from the registry that holds it"),
                Some(&["--pack-map", "istio@1.6.2=Corp Mirror"]),
            ),
            finding("name-taken", None, None),
        ]);
        assert_eq!(
            text,
            "error pack-missing  /spec/template/packs/2\n  the pack-missing message\n  \
             hint: take it from the registry that holds it\n  \
             fix: --pack-map 'istio@1.6.2=Corp Mirror'\n\n\
             error name-taken  /spec/template/packs/2\n  the name-taken message\n"
        );
    }
}
