//! Short builders for findings:
//! `finding::error("code", "message").at("/spec/..").about(Subject::Macro(name)).hint("..")`.

use crate::types::{Finding, Severity, Subject};

fn new(severity: Severity, code: &str, message: impl Into<String>) -> Finding {
    Finding {
        severity,
        code: code.to_string(),
        message: message.into(),
        path: None,
        yaml_path: None,
        subject: None,
        hint: None,
    }
}

pub fn error(code: &str, message: impl Into<String>) -> Finding {
    new(Severity::Error, code, message)
}

pub fn warning(code: &str, message: impl Into<String>) -> Finding {
    new(Severity::Warning, code, message)
}

pub fn info(code: &str, message: impl Into<String>) -> Finding {
    new(Severity::Info, code, message)
}

impl Finding {
    /// Where in the document (a JSON pointer, see [`crate::document::pointer`]).
    pub fn at(mut self, pointer: impl Into<String>) -> Self {
        self.path = Some(pointer.into());
        self
    }

    /// Where in the document, down to a value inside a pack's values YAML (its dotted path).
    pub fn at_value(mut self, pointer: impl Into<String>, yaml_path: impl Into<String>) -> Self {
        self.path = Some(pointer.into());
        self.yaml_path = Some(yaml_path.into());
        self
    }

    /// What it is about, by name.
    pub fn about(mut self, subject: Subject) -> Self {
        self.subject = Some(subject);
        self
    }

    /// How to fix it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}
