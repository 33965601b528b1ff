//! Findings as people and programs read them: a table with where each one is and how to fix it,
//! or a JSON array whose objects carry the macro, variable, pack, registry or profile by name.

use serde_json::{Value, json};

use super::table::{self, Output};
use crate::pipeline::Reported;
use crate::runtime::bindings::types::{Severity, Subject};

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

/// One finding as a JSON object.
pub fn to_json(r: &Reported) -> Value {
    let f = &r.finding;
    let mut v = json!({
        "severity": severity(f.severity), "code": f.code, "message": f.message,
        "path": f.path, "yamlPath": f.yaml_path, "hint": f.hint, "plugin": r.plugin,
    });
    if let Some(s) = &f.subject {
        let (kind, name) = subject(s);
        v[kind] = json!(name);
    }
    v
}

/// Prints findings: a table on stdout, or a JSON array.
pub fn print(findings: &[Reported], output: Output) -> anyhow::Result<()> {
    match output {
        Output::Json => {
            let all: Vec<Value> = findings.iter().map(to_json).collect();
            table::print_stdout(&(serde_json::to_string_pretty(&all)? + "\n"))?;
        }
        Output::Table if findings.is_empty() => eprintln!("no findings"),
        Output::Table => {
            let rows: Vec<[String; 5]> = findings
                .iter()
                .map(|r| {
                    let f = &r.finding;
                    let at = match (&f.path, &f.yaml_path) {
                        (Some(p), Some(y)) => format!("{p} {y}"),
                        (Some(p), None) => p.clone(),
                        _ => "-".into(),
                    };
                    [
                        severity(f.severity).to_string(),
                        f.code.clone(),
                        f.message.clone(),
                        at,
                        f.hint.clone().unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            table::print_table(&["SEVERITY", "CODE", "MESSAGE", "WHERE", "HINT"], &rows)?;
        }
    }
    Ok(())
}
