//! Defects a spec checker found from outside (issue 9, item 3): registry scope and tenancy, the
//! metadata's `scope` filter, and the YAML export's style.

use ferry_sandbox::Role;
use serde_json::{Value, json};

use crate::support::{Api, Sandbox, ml_ops};

fn names_and_scopes(items: &Value) -> Vec<(String, String)> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let name = r["name"].as_str().or(r["metadata"]["name"].as_str());
            let scope = r["scope"].as_str().or(r["spec"]["scope"].as_str());
            (name.unwrap().to_string(), scope.unwrap().to_string())
        })
        .collect()
}

async fn create(api: &Api, kind: &str, name: &str) {
    let body = json!({"metadata": {"name": name},
        "spec": {"endpoint": format!("https://{kind}.example.com"), "scope": "tenant", "auth": {"type": "noAuth"}}});
    api.post(&format!("/v1/registries/{kind}"), &body)
        .await
        .expect(201);
}

#[tokio::test]
async fn a_tenants_registries_are_its_own_and_scoped_tenant() {
    let sb = Sandbox::start().await;
    let acme = sb.admin();
    let globex = sb.client("globex", Role::Admin);
    create(&acme, "pack", "Acme Packs").await;
    create(&acme, "helm", "Acme Charts").await;

    for (kind, name) in [("pack", "Acme Packs"), ("helm", "Acme Charts")] {
        let mine =
            names_and_scopes(&acme.get(&format!("/v1/registries/{kind}")).await.json()["items"]);
        assert!(mine.contains(&(name.into(), "tenant".into())), "{mine:?}");
        let summary = names_and_scopes(
            &acme
                .get(&format!("/v1/registries/{kind}/summary"))
                .await
                .json()["items"],
        );
        assert!(
            summary.contains(&(name.into(), "tenant".into())),
            "{summary:?}"
        );
        let theirs = globex.get(&format!("/v1/registries/{kind}")).await.json();
        assert!(
            names_and_scopes(&theirs["items"])
                .iter()
                .all(|(n, _)| n != name),
            "{name} leaked to globex: {theirs}"
        );
    }
    let theirs = globex.get("/v1/registries/metadata").await.json();
    assert!(!theirs.to_string().contains("Acme"), "{theirs}");
    // Seeded registries are the system's, seen by both.
    assert!(
        names_and_scopes(&theirs["items"])
            .iter()
            .all(|(_, s)| s == "system")
    );

    // The name is acme's: globex may use it, acme may not twice.
    create(&globex, "pack", "Acme Packs").await;
    let again = json!({"metadata": {"name": "Acme Packs"}, "spec": {"endpoint": "https://x", "auth": {"type": "noAuth"}}});
    acme.post("/v1/registries/pack", &again).await.expect(409);
    // A tenant cannot make a registry every tenant sees.
    let system = json!({"metadata": {"name": "Global"}, "spec": {"endpoint": "https://x", "scope": "system", "auth": {"type": "noAuth"}}});
    acme.post("/v1/registries/pack", &system).await.expect(400);
}

#[tokio::test]
async fn registries_metadata_filters_by_scope() {
    let sb = Sandbox::start().await;
    let acme = sb.admin();
    create(&acme, "pack", "Acme Packs").await;
    let scopes = |v: Value| {
        names_and_scopes(&v["items"])
            .into_iter()
            .map(|(_, s)| s)
            .collect::<Vec<_>>()
    };
    let all = scopes(acme.get("/v1/registries/metadata").await.json());
    let explicit_all = scopes(acme.get("/v1/registries/metadata?scope=all").await.json());
    let tenant = scopes(
        acme.get("/v1/registries/metadata?scope=tenant")
            .await
            .json(),
    );
    let system = scopes(
        acme.get("/v1/registries/metadata?scope=system")
            .await
            .json(),
    );
    assert_eq!(tenant, vec!["tenant"]);
    assert!(
        !system.is_empty() && system.iter().all(|s| s == "system"),
        "{system:?}"
    );
    assert_eq!(all.len(), system.len() + 1);
    assert_eq!(all, explicit_all);
    acme.get("/v1/registries/metadata?scope=everything")
        .await
        .expect(400);
}

#[tokio::test]
async fn the_yaml_export_is_plain_block_yaml() {
    let sb = Sandbox::start().await;
    let api = sb.admin().in_project(&sb.project("acme", "Default"));
    let uid = api.import(&ml_ops()).await;
    let yaml = api
        .get(&format!("/v1/clusterprofiles/{uid}/export?format=yaml"))
        .await;
    yaml.expect(200);
    let text = &yaml.text;
    let head: String = text.chars().take(400).collect();
    assert!(text.starts_with("metadata:\n"), "{head}");
    assert!(text.contains("  name: ML Ops\n"), "{head}");
    let quoted_keys: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().trim_start_matches("- ").starts_with('"') && l.contains("\":"))
        .collect();
    assert!(quoted_keys.is_empty(), "quoted keys: {quoted_keys:?}");
}

#[tokio::test]
async fn a_mirror_holds_its_packs_in_place_of_public_repo() {
    let sb = Sandbox::start_with(|c| {
        c.mirror = Some(ferry_sandbox::Mirror {
            name: "Corp Mirror".into(),
            packs: vec!["istio@1.6.2".into()],
        })
    })
    .await;
    let api = sb.admin();
    let registries = api.get("/v1/registries/metadata").await.json();
    let mirror = registries["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Corp Mirror")
        .expect("the mirror is listed");
    assert_eq!(mirror["kind"], "pack");
    let uid = mirror["uid"].as_str().unwrap();
    let public = "5e2031962f090e2d3d8a3290";
    api.get(&format!("/v1/packs/istio/registries/{uid}"))
        .await
        .expect(200);
    api.get(&format!("/v1/packs/istio/registries/{public}"))
        .await
        .expect(404);
    // The other packs stay where they were.
    api.get(&format!("/v1/packs/kubeflow/registries/{public}"))
        .await
        .expect(200);
    api.get(&format!("/v1/packs/kubeflow/registries/{uid}"))
        .await
        .expect(404);
}
