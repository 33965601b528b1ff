//! Short builders for findings:
//! `finding::error("code", "message").at("/spec/..").about(Subject::Macro(name)).hint("..")`,
//! with `.fix(["--create-macros", ...])` when a `ferry` argument resolves it.

use crate::types::{Finding, Fix, Severity, Subject};

fn new(severity: Severity, code: &str, message: impl Into<String>) -> Finding {
    Finding {
        severity,
        code: code.to_string(),
        message: message.into(),
        path: None,
        yaml_path: None,
        subject: None,
        hint: None,
        fix: None,
    }
}

/// A finding of severity error: the profile cannot go ahead as it is.
pub fn error(code: &str, message: impl Into<String>) -> Finding {
    new(Severity::Error, code, message)
}

/// A finding of severity warning: worth a look, does not stop the profile.
pub fn warning(code: &str, message: impl Into<String>) -> Finding {
    new(Severity::Warning, code, message)
}

/// A finding of severity info.
pub fn info(code: &str, message: impl Into<String>) -> Finding {
    new(Severity::Info, code, message)
}

impl Finding {
    /// Where in the document (a JSON pointer, see [`crate::document::pack_pointer`]).
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

    /// How to fix it, in words.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The `ferry` arguments that fix it, one per element and unquoted
    /// (`["--pack-map", "istio@1.6.2=Corp Mirror"]`); `VALUE` for what only the user knows.
    pub fn fix<S: Into<String>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.fix = Some(Fix {
            args: args.into_iter().map(Into::into).collect(),
        });
        self
    }
}
