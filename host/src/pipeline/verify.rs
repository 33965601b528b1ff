//! After an import: did the profile arrive as sent? The host reads it back from the target and
//! compares it with what it sent ([`super::compare`]: every pack and value, secrets by SHA-256
//! digest, never printed). What was sent must be there as sent; what the target adds (fields it
//! fills in, labels, registry details) is not a failure, and only the pack fields an import sets
//! (version, type, layer) are checked. Values the target masks on read (`********`: schema
//! passwords, sensitive variables) cannot be compared and are counted as such.

use ferry_plugin_api::document::Profile;

use super::compare::{self, Change, Difference, Places, Subject, What};

/// What the read-back showed.
#[derive(Debug, Default, Clone)]
pub struct Verification {
    pub packs: usize,
    pub values: usize,
    pub secrets_by_digest: usize,
    pub masked_on_read: usize,
    /// One line per difference: where, and what differs (never a secret's value).
    pub differences: Vec<String>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.differences.is_empty()
    }

    pub fn summary(&self) -> String {
        format!(
            "{} pack(s), {} value(s) as sent ({} secret(s) compared by digest, {} masked as ******** and not compared)",
            self.packs, self.values, self.secrets_by_digest, self.masked_on_read
        )
    }
}

/// Compares what was sent with what the target gives back. `secrets` are the places whose
/// values must never be shown ([`compare::secret_places`]).
pub fn compare(sent: &str, back: &str, secrets: &Places) -> Result<Verification, String> {
    let sent = Profile::parse(sent)?;
    let back = Profile::parse(back).map_err(|e| format!("the target's copy: {e}"))?;
    let c = compare::profiles(&sent, &back, secrets);
    Ok(Verification {
        packs: sent.spec.template.packs.len(),
        values: c.values,
        secrets_by_digest: c.secrets_by_digest,
        masked_on_read: c.withheld,
        differences: c
            .differences
            .iter()
            .filter(|d| lost_or_changed(d))
            .map(|d| format!("{d} (sent → arrived)"))
            .collect(),
    })
}

/// Whether a difference means something sent did not arrive as sent.
fn lost_or_changed(d: &Difference) -> bool {
    if d.change == Change::Added {
        return false;
    }
    match (&d.subject, &d.what) {
        (Subject::Profile, _) => false,
        (Subject::Pack(_), What::Field(f)) => ["version", "type", "layer"].contains(&f.as_str()),
        (Subject::Variable(_), What::Field(_)) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const SENT: &str = r#"{"metadata":{"name":"p"},"spec":{"version":"1.0.0","template":{"packs":[
      {"name":"app","version":"1.0.0","values":"a: 1\npass: s3cr3t\nkey: k\n"}]},
      "variables":[{"name":"v","defaultValue":"x"}]}}"#;

    #[test]
    fn same_content_verifies_with_secrets_by_digest() {
        let back = SENT.replace("key: k", "key: '********'").replace(
            "\"name\":\"p\"",
            "\"name\":\"p\",\"labels\":{\"added\":\"by-target\"}",
        );
        let secrets = compare::secret_places(
            SENT,
            &[("/spec/template/packs/0/values".into(), "/pass".into())],
        )
        .unwrap();
        let v = compare(SENT, &back, &secrets).unwrap();
        assert!(v.ok(), "{:?}", v.differences);
        assert_eq!(
            (v.packs, v.values, v.secrets_by_digest, v.masked_on_read),
            (1, 3, 1, 1)
        );
    }

    #[test]
    fn a_changed_secret_is_reported_without_its_value() {
        let back = SENT.replace("s3cr3t", "other");
        let secrets = compare::secret_places(
            SENT,
            &[("/spec/template/packs/0/values".into(), "/pass".into())],
        )
        .unwrap();
        let v = compare(SENT, &back, &secrets).unwrap();
        assert_eq!(v.differences.len(), 1);
        assert!(!v.differences[0].contains("s3cr3t") && !v.differences[0].contains("other"));
        let back = SENT.replace("a: 1", "a: 2").replace(
            "\"version\":\"1.0.0\",\"values\"",
            "\"version\":\"1.0.1\",\"values\"",
        );
        let v = compare(SENT, &back, &BTreeSet::new()).unwrap();
        assert_eq!(v.differences.len(), 2, "{:?}", v.differences);
    }

    #[test]
    fn a_value_lost_on_the_way_fails_and_one_added_does_not() {
        let back = SENT.replace("key: k\\n", "extra: e\\n");
        let v = compare(SENT, &back, &BTreeSet::new()).unwrap();
        assert_eq!(v.differences, ["- values app: key: k (sent → arrived)"]);
    }

    #[test]
    fn each_document_of_a_manifest_is_compared_with_its_own() {
        let sent = r#"{"spec":{"template":{"packs":[{"name":"m","manifests":[{"name":"db",
          "content":"kind: ConfigMap\ndata:\n  a: x\n---\nkind: Secret\ndata:\n  a: s3cr3t\n"}]}]}}}"#;
        let secrets = compare::secret_places(
            sent,
            &[(
                "/spec/template/packs/0/manifests/0/content".into(),
                "[1]/data/a".into(),
            )],
        )
        .unwrap();
        let v = compare(sent, sent, &secrets).unwrap();
        assert!(v.ok(), "{:?}", v.differences);
        assert_eq!((v.values, v.secrets_by_digest), (4, 1));
        let v = compare(sent, &sent.replace("s3cr3t", "other"), &secrets).unwrap();
        assert_eq!(v.differences.len(), 1, "{:?}", v.differences);
        let said = &v.differences[0];
        assert!(
            said.contains("[1].data.a") && !said.contains("s3cr3t"),
            "{said}"
        );
    }
}
