use std::collections::HashSet;

use serde_json::{Value, json};

use super::*;
use crate::api::fake;
use crate::schema::parse_field;
use crate::types::{Severity, Subject};

const REPO: &str =
    r#"{"metadata":{"uid":"src-uid","name":"Public Repo","kind":"pack","isPrivate":false}}"#;

fn doc(packs: &[Value], variables: Value) -> String {
    json!({"metadata": {"name": "web"}, "spec": {"version": "1.0.0", "variables": variables,
        "template": {"type": "add-on", "packs": packs}}})
    .to_string()
}

fn pack(name: &str, version: &str, values: &str) -> Value {
    json!({"name": name, "type": "spectro", "layer": "addon", "version": version, "values": values,
           "registry": serde_json::from_str::<Value>(REPO).unwrap()})
}

/// A target with "Public Repo" (pack) holding `held` and "Bitnami" (helm) holding `on_helm`,
/// the macros `macros`, and the name web 1.0.0 taken when `taken`.
fn target(
    held: &'static [&'static str],
    on_helm: &'static [&'static str],
    macros: &'static [&'static str],
    taken: bool,
) -> fake::Fake<impl Fn(&crate::palette_api::Request) -> (u16, String)> {
    fake::palette(move |r| {
        match r.path.as_str() {
        "/v1/clusterprofiles/validate/name" if taken => (409, fake::error("ClusterProfileAlreadyExists", "taken", Value::Null)),
        "/v1/clusterprofiles/validate/name" => (204, String::new()),
        "/v1/registries/metadata" => (200, json!({"items": [
            {"uid": "r1", "name": "Public Repo", "kind": "pack"}, {"uid": "r2", "name": "Bitnami", "kind": "helm"}]}).to_string()),
        "/v1/packs" => {
            let filter = &r.query[0].1;
            let mut items = Vec::new();
            for (reg, list) in [("r1", held), ("r2", on_helm)] {
                if list.iter().any(|p| {
                    let (n, v) = p.split_once('@').unwrap();
                    *filter == format!("spec.name={n}ANDspec.version={v}")
                }) {
                    items.push(json!({"spec": {"registryUid": reg}}));
                }
            }
            (200, json!({"items": items, "listmeta": {"continue": ""}}).to_string())
        }
        "/v1/clusterprofiles/macros" => {
            let list: Vec<Value> = macros.iter().map(|m| json!({"name": m, "value": "v"})).collect();
            (200, json!({"macros": list}).to_string())
        }
        _ => (404, fake::error("ResourceNotFound", "no such path", Value::Null)),
    }
    })
}

fn subject(f: &Finding) -> String {
    format!("{:?}", f.subject)
}

fn codes_of(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn a_clean_document_has_no_findings_and_reads_no_macros() {
    let api = target(&["istio@1.6.2"], &[], &[], false);
    let document = doc(&[pack("istio", "1.6.2", "a: 1\n")], json!([]));
    assert!(
        validate(&api, "staging", &document, &[])
            .unwrap()
            .is_empty()
    );
    assert!(
        !api.calls.borrow().iter().any(|c| c.contains("macros")),
        "{:?}",
        api.calls.borrow()
    );
}

#[test]
fn macros_are_reported_once_each_at_their_first_use() {
    let values = "a:\n  region: \"{{.spectro.macro.REGION}}\"\n  again: \"x-{{ .spectro.macro.REGION | upper }}\"\n  ok: \"{{.spectro.macro.DEFINED}}\"\n  sys: \"{{.spectro.system.cluster.name}}\"\n";
    let manifest = json!({"name": "cm", "type": "manifest", "layer": "addon",
        "manifests": [{"name": "cm", "content": "data: {{.spectro.macro.TOKEN}}"}]});
    let document = doc(&[pack("istio", "1.6.2", values), manifest], json!([]));
    let api = target(&["istio@1.6.2"], &[], &["DEFINED"], false);
    let found = validate(&api, "staging", &document, &[]).unwrap();
    assert_eq!(codes_of(&found), ["macro-undefined", "macro-undefined"]);
    let region = &found[0];
    assert_eq!(
        subject(region),
        format!("{:?}", Some(Subject::Macro("REGION".into())))
    );
    assert_eq!(
        region.path.as_deref(),
        Some("/spec/template/packs/0/values")
    );
    assert_eq!(region.yaml_path.as_deref(), Some("a.region"));
    assert!(
        region.message.contains("used (2 times)") && region.message.contains("staging"),
        "{}",
        region.message
    );
    assert!(
        region
            .hint
            .as_deref()
            .unwrap()
            .contains("--create-macros --set macro.REGION=VALUE")
    );
    assert_eq!(
        region.fix.as_ref().map(|f| f.args.clone()),
        Some(vec![
            "--create-macros".to_string(),
            "--set".into(),
            "macro.REGION=VALUE".into()
        ])
    );
    let token = &found[1];
    assert_eq!(
        token.path.as_deref(),
        Some("/spec/template/packs/1/manifests/0/content")
    );
    assert_eq!(token.yaml_path, None);
}

#[test]
fn undeclared_variables_masked_values_and_bad_yaml_are_found_without_a_target() {
    let values = "db:\n  host: \"{{.spectro.var.dbhost}}\"\n  port: \"{{.spectro.var.dbport}}\"\n  password: \"********\"\n";
    let document = doc(
        &[
            pack("app", "1.0.0", values),
            pack("broken", "1.0.0", "a: [1"),
        ],
        json!([{"name": "dbport"}, {"name": "token", "isSensitive": true, "defaultValue": "********"}]),
    );
    let profile = Profile::parse(&document).unwrap();
    let found = document_findings(&profile, &[]);
    assert_eq!(
        codes_of(&found),
        [
            "values-invalid",
            "variable-undeclared",
            "value-masked",
            "value-masked"
        ]
    );
    assert_eq!(
        found[0].path.as_deref(),
        Some("/spec/template/packs/1/values")
    );
    let var = &found[1];
    assert_eq!(
        subject(var),
        format!("{:?}", Some(Subject::Variable("dbhost".into())))
    );
    assert_eq!(var.yaml_path.as_deref(), Some("db.host"));
    let masked = &found[2];
    assert_eq!(
        (masked.path.as_deref(), masked.yaml_path.as_deref()),
        (Some("/spec/template/packs/0/values"), Some("db.password"))
    );
    let hint = masked.hint.as_deref().unwrap();
    assert!(
        hint.contains("--secrets BUNDLE")
            && hint.contains("--set 'app:db.password=VALUE'")
            && hint.contains("--allow-masked"),
        "{hint}"
    );
    let fix = |f: &crate::types::Finding| f.fix.as_ref().map(|f| f.args.join(" "));
    assert_eq!(fix(masked).as_deref(), Some("--set app:db.password=VALUE"));
    assert_eq!(fix(&found[3]).as_deref(), Some("--set var.token=VALUE"));
    assert_eq!(
        fix(&found[1]),
        None,
        "an undeclared variable has no flag to fix it"
    );
    assert_eq!(
        found[3].path.as_deref(),
        Some("/spec/variables/1/defaultValue")
    );
    assert!(found.iter().all(|f| f.severity == Severity::Error));
}

#[test]
fn schema_constraints_come_from_the_packs_metadata() {
    let values = "charts:\n  app:\n    replicas: many\n    mode: Fast\n    secret: \"********\"\n";
    let document = doc(&[pack("app", "1.0.0", values)], json!([]));
    let meta = PackMeta {
        name: "app".into(),
        tag: "1.0.0".into(),
        schema: vec![
            parse_field("charts.app.replicas", r#"{{ format "${number}" }}"#),
            parse_field("charts.app.mode", r#"{{ regex "^(fast|slow)$" }}"#),
            parse_field("charts.app.url", "{{ required }}"),
            parse_field(
                "charts.app.secret",
                r#"{{ required | format "${password}" }}"#,
            ),
        ],
    };
    let found = document_findings(&Profile::parse(&document).unwrap(), &[meta]);
    assert_eq!(
        codes_of(&found),
        [
            "value-masked",
            "schema-format",
            "schema-regex",
            "schema-required"
        ]
    );
    assert_eq!(found[1].severity, Severity::Warning);
    assert_eq!(found[3].severity, Severity::Error);
    assert_eq!(
        subject(&found[1]),
        format!("{:?}", Some(Subject::Pack("app@1.0.0".into())))
    );
    assert_eq!(found[1].yaml_path.as_deref(), Some("charts.app.replicas"));
    assert!(
        !found[1].message.contains("many"),
        "values are never quoted: {}",
        found[1].message
    );
}

#[test]
fn missing_packs_and_registries_name_what_exists() {
    let helm = json!({"name": "harbor", "type": "helm", "layer": "addon", "version": "1.9.3",
        "registry": {"metadata": {"uid": "x", "name": "Bitnami", "kind": "helm"}}});
    let elsewhere = json!({"name": "argo-cd", "type": "spectro", "layer": "addon", "version": "3.26.7",
        "registry": {"metadata": {"uid": "x", "name": "Gone Repo", "kind": "pack"}}});
    let bare_manifest =
        json!({"name": "cm", "type": "manifest", "layer": "addon", "manifests": []});
    let document = doc(
        &[
            pack("istio", "1.6.2", ""),
            pack("kubeflow", "1.2.0", ""),
            helm,
            elsewhere,
            bare_manifest,
        ],
        json!([]),
    );
    let api = target(
        &["kubeflow@1.2.0", "argo-cd@3.26.7"],
        &["harbor@1.9.3", "istio@1.6.2"],
        &[],
        true,
    );
    let found = validate(&api, "staging", &document, &[]).unwrap();
    assert_eq!(
        codes_of(&found),
        ["name-taken", "pack-missing", "registry-missing"]
    );
    assert_eq!(
        subject(&found[0]),
        format!("{:?}", Some(Subject::Profile("web@1.0.0".into())))
    );
    assert!(
        found[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("--on-conflict bump-patch|bump-minor|rename=NAME|skip")
    );
    let istio = &found[1];
    assert_eq!(
        subject(istio),
        format!("{:?}", Some(Subject::Pack("istio@1.6.2".into())))
    );
    assert_eq!(istio.path.as_deref(), Some("/spec/template/packs/0"));
    assert_eq!(
        istio.message,
        "pack istio@1.6.2 is not in registry 'Public Repo' of staging; registries of staging that hold it: 'Bitnami' (helm)"
    );
    // Only a registry of another kind holds it: no mapping would do.
    assert_eq!(
        istio.hint.as_deref(),
        Some("add istio 1.6.2 to 'Public Repo' in staging")
    );
    let gone = &found[2];
    assert_eq!(
        subject(gone),
        format!("{:?}", Some(Subject::Registry("Gone Repo".into())))
    );
    assert_eq!(
        gone.path.as_deref(),
        Some("/spec/template/packs/3/registry")
    );
    assert!(
        gone.message.contains("argo-cd@3.26.7")
            && gone
                .message
                .contains("pack registries of staging: Public Repo"),
        "{}",
        gone.message
    );
    assert_eq!(
        gone.hint.as_deref(),
        Some(
            "map it to a registry of staging that holds the packs: --registry-map 'Gone Repo=Public Repo'"
        )
    );
    assert_eq!(
        gone.fix.as_ref().map(|f| f.args.join("|")).as_deref(),
        Some("--registry-map|Gone Repo=Public Repo")
    );
}

#[test]
fn a_failed_call_is_a_plugin_error_naming_what_was_asked() {
    let api = fake::palette(|r| match r.path.as_str() {
        "/v1/clusterprofiles/validate/name" => (204, String::new()),
        _ => (
            403,
            fake::error(
                "Forbidden",
                "the caller's role lacks the permission 'packRegistry.list'",
                json!({"missingPermission": "packRegistry.list"}),
            ),
        ),
    });
    let document = doc(&[pack("istio", "1.6.2", "")], json!([]));
    let err = validate(&api, "staging", &document, &[]).unwrap_err();
    let PluginError::Denied(m) = err else {
        panic!("{err:?}")
    };
    assert!(
        m.starts_with("listing the registries of staging: Palette answered 403 Forbidden")
            && m.contains("(missing permission packRegistry.list)"),
        "{m}"
    );
}

#[test]
fn uses_keep_document_order_and_count() {
    let document = doc(
        &[pack(
            "a",
            "1",
            "x: \"{{.spectro.var.one}} {{.spectro.var.two}} {{.spectro.var.one}}\"",
        )],
        json!([]),
    );
    let profile = Profile::parse(&document).unwrap();
    let uses = local::uses(&local::texts(&profile), Kind::Var);
    let got: Vec<(&str, usize)> = uses.iter().map(|u| (u.name.as_str(), u.count)).collect();
    assert_eq!(got, [("one", 2), ("two", 1)]);
    let defined: HashSet<String> = HashSet::new();
    assert!(local::undefined_macros(&[], &defined, "x").is_empty());
}
