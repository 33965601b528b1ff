//! The sandbox as a client sees it: auth, scopes, paging, persistence, import/export, validation, macros,
//! masking and rate limits, over real HTTP on loopback against a real SQLite file.

use ferry_sandbox::{Bucket, ExtraKey, RateLimits, Role};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Api, Sandbox, ml_ops, ml_ops_text, small_profile, start_in};

#[tokio::test]
async fn sandbox_refuses_requests_without_a_valid_key() {
    let sb = Sandbox::start().await;
    let anonymous = Api::new(sb.running.url(), None);
    let reply = anonymous.get("/v1/users/info").await;
    reply.expect(401);
    assert_eq!(reply.code(), "Unauthorized");
    assert!(reply.json()["ref"].as_str().is_some_and(|r| !r.is_empty()));

    let wrong = Api::new(sb.running.url(), Some("not-a-key".into()));
    assert_eq!(
        wrong
            .get("/v1/dashboard/clusterprofiles/metadata")
            .await
            .expect(401)
            .code(),
        "Unauthorized"
    );

    let info = sb.admin().get("/v1/users/info").await;
    info.expect(200);
    assert_eq!(
        info.json()["tenantUid"],
        sb.running.tenant("acme").unwrap().uid
    );
    assert_eq!(info.json()["orgName"], "acme");
}

#[tokio::test]
async fn sandbox_token_from_authenticate_works_in_authorization_header() {
    let sb = Sandbox::start().await;
    let key = sb
        .running
        .tenant("globex")
        .unwrap()
        .key(Role::Admin)
        .unwrap()
        .to_string();
    let anonymous = Api::new(sb.running.url(), None);
    let login = json!({ "emailId": "admin@globex.sandbox", "password": key, "org": "globex" });
    let reply = anonymous.post("/v1/auth/authenticate", &login).await;
    reply.expect(200);
    let token = reply.json()["Authorization"].as_str().unwrap().to_string();
    let with_token = anonymous.with_token(&token);
    let info = with_token.get("/v1/users/info").await;
    info.expect(200);
    assert_eq!(info.json()["orgName"], "globex");

    let bad = json!({ "emailId": "admin@globex.sandbox", "password": "wrong" });
    anonymous
        .post("/v1/auth/authenticate", &bad)
        .await
        .expect(401);
    let forged = anonymous.with_token(&format!("{token}x"));
    forged.get("/v1/users/info").await.expect(401);
}

#[tokio::test]
async fn sandbox_keys_need_the_permission_palette_requires() {
    let sb = Sandbox::start_with(|c| {
        c.extra_keys.push(ExtraKey {
            key: "lister".into(),
            tenant: None,
            role: Role::ListOnly,
        })
    })
    .await;
    let admin = sb.admin();
    let uid = admin.import(&ml_ops()).await;

    let viewer = sb.client("acme", Role::ReadOnly);
    let refused = viewer
        .post("/v1/clusterprofiles/import", &small_profile("nope", "a: 1"))
        .await;
    refused.expect(403);
    assert_eq!(refused.code(), "Forbidden");
    assert_eq!(
        refused.json()["details"]["missingPermission"],
        "clusterProfile.create"
    );
    assert_eq!(
        admin.profile_names().await,
        vec!["ML Ops"],
        "nothing was imported"
    );
    viewer
        .get(&format!("/v1/clusterprofiles/{uid}/export?format=json"))
        .await
        .expect(200);

    let lister = Api::new(sb.running.url(), Some("lister".into()));
    assert_eq!(lister.profile_names().await, vec!["ML Ops"]);
    let export = lister
        .get(&format!("/v1/clusterprofiles/{uid}/export"))
        .await;
    export.expect(403);
    assert_eq!(
        export.json()["details"]["missingPermission"],
        "clusterProfile.get"
    );
    lister
        .get(&format!("/v1/clusterprofiles/{uid}"))
        .await
        .expect(403);
}

#[tokio::test]
async fn sandbox_project_scope_isolates_profiles() {
    let sb = Sandbox::start().await;
    let admin = sb.admin();
    let prod = admin.in_project(&sb.project("acme", "prod"));
    let staging = admin.in_project(&sb.project("acme", "staging"));

    let in_prod = prod.import(&small_profile("prod-only", "a: 1")).await;
    admin.import(&small_profile("tenant-wide", "a: 1")).await;

    assert_eq!(prod.profile_names().await, vec!["prod-only", "tenant-wide"]);
    assert_eq!(staging.profile_names().await, vec!["tenant-wide"]);
    assert_eq!(
        admin.profile_names().await,
        vec!["tenant-wide"],
        "tenant scope sees tenant profiles only"
    );
    let hidden = staging.get(&format!("/v1/clusterprofiles/{in_prod}")).await;
    hidden.expect(404);
    assert_eq!(hidden.code(), "ResourceNotFound");
    staging
        .get(&format!("/v1/clusterprofiles/{in_prod}/export"))
        .await
        .expect(404);
    prod.get(&format!("/v1/clusterprofiles/{in_prod}"))
        .await
        .expect(200);

    // Another tenant sees none of it, and cannot borrow acme's project.
    let globex = sb.client("globex", Role::Admin);
    assert!(globex.profile_names().await.is_empty());
    let foreign = globex
        .in_project(&sb.project("acme", "prod"))
        .get("/v1/dashboard/clusterprofiles/metadata")
        .await;
    foreign.expect(404);

    // The same name may live in two projects; not twice in one.
    staging.import(&small_profile("prod-only", "a: 1")).await;
    let twice = prod
        .post(
            "/v1/clusterprofiles/import",
            &small_profile("prod-only", "a: 1"),
        )
        .await;
    twice.expect(409);
    assert_eq!(twice.code(), "ClusterProfileAlreadyExists");
}

#[tokio::test]
async fn sandbox_pages_120_profiles_at_50_with_continue_tokens() {
    let sb = Sandbox::start().await;
    let api = sb.admin().in_project(&sb.project("acme", "Default"));
    for i in 0..120 {
        api.import(&small_profile(&format!("profile-{i:03}"), "a: 1"))
            .await;
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = Vec::new();
    loop {
        let path = format!("/v1/dashboard/clusterprofiles?continue={token}");
        let reply = api.post(&path, &json!({})).await;
        reply.expect(200);
        let body = reply.json();
        let items = body["items"].as_array().unwrap();
        pages.push(items.len());
        seen.extend(
            items
                .iter()
                .map(|i| i["metadata"]["name"].as_str().unwrap().to_string()),
        );
        assert_eq!(body["listmeta"]["count"], 120);
        assert_eq!(body["listmeta"]["limit"], 50);
        token = body["listmeta"]["continue"].as_str().unwrap().to_string();
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(pages, vec![50, 50, 20]);
    let expected: Vec<String> = (0..120).map(|i| format!("profile-{i:03}")).collect();
    assert_eq!(seen, expected, "every profile once, in creation order");

    let small = api
        .post("/v1/dashboard/clusterprofiles?limit=7&offset=3", &json!({}))
        .await;
    let body = small.json();
    assert_eq!(body["items"].as_array().unwrap().len(), 7);
    assert_eq!(body["items"][0]["metadata"]["name"], "profile-003");
    assert_eq!(body["listmeta"]["offset"], 10);
    let filtered = api
        .post(
            "/v1/dashboard/clusterprofiles",
            &json!({"filter": {"profileName": {"contains": "-11"}}}),
        )
        .await;
    assert_eq!(filtered.json()["listmeta"]["count"], 10);
    let bad = api
        .post("/v1/dashboard/clusterprofiles?continue=garbage", &json!({}))
        .await;
    bad.expect(400);
}

#[tokio::test]
async fn sandbox_keeps_data_and_keys_across_a_restart() {
    let sb = Sandbox::start().await;
    let tenants_before = sb.running.tenants().to_vec();
    let prod = sb.admin().in_project(&sb.project("acme", "prod"));
    let uid = prod.import(&ml_ops()).await;
    prod.post(
        &format!("/v1/projects/{}/macros", sb.project("acme", "prod")),
        &json!({"macros": [{"name": "region", "value": "eu-west-1"}]}),
    )
    .await
    .expect(204);
    let dir = sb.stop().await;

    let running = start_in(dir.path(), None, |_| {}).await;
    assert_eq!(
        running.tenants(),
        &tenants_before[..],
        "same tenants, projects and keys"
    );
    let key = running
        .tenant("acme")
        .unwrap()
        .key(Role::Admin)
        .unwrap()
        .to_string();
    let prod = Api::new(running.url(), Some(key))
        .in_project(running.tenant("acme").unwrap().project("prod").unwrap());
    let export = prod
        .get(&format!("/v1/clusterprofiles/{uid}/export?format=json"))
        .await;
    export.expect(200);
    assert_eq!(export.json(), ml_ops());
    let macros = prod.get("/v1/clusterprofiles/macros").await.json();
    assert_eq!(
        macros["macros"],
        json!([{"name": "region", "value": "eu-west-1"}])
    );
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn sandbox_exports_the_imported_fixture_unchanged() {
    let sb = Sandbox::start().await;
    let api = sb.admin().in_project(&sb.project("acme", "Default"));
    // A field this version of the contract does not know must survive too.
    let mut doc = ml_ops();
    doc["spec"]["template"]["packs"][0]["x-vendor"] = json!({"keep": ["me", 1]});
    let uid = api.import(&doc).await;
    let export = api
        .get(&format!("/v1/clusterprofiles/{uid}/export?format=json"))
        .await;
    export.expect(200);
    assert!(
        export.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let back = export.json();
    assert_eq!(back, doc);
    assert_eq!(back.to_string(), doc.to_string(), "same key order");

    // The original fixture, byte for byte as a JSON value, through the multipart file import.
    let staging = sb.admin().in_project(&sb.project("acme", "staging"));
    let form = reqwest::multipart::Form::new().part(
        "importFile",
        reqwest::multipart::Part::text(ml_ops_text()).file_name("ml-ops-export.json"),
    );
    let reply = staging
        .send(
            staging
                .request(Method::POST, "/v1/clusterprofiles/import/file?publish=true")
                .multipart(form),
        )
        .await;
    reply.expect(201);
    let uid2 = reply.json()["uid"].as_str().unwrap().to_string();
    let exported = staging
        .get(&format!("/v1/clusterprofiles/{uid2}/export"))
        .await
        .json();
    assert_eq!(exported.to_string(), ml_ops().to_string());

    // YAML export, imported as a YAML file elsewhere, is still the same document.
    let yaml = staging
        .get(&format!("/v1/clusterprofiles/{uid2}/export?format=yaml"))
        .await;
    yaml.expect(200);
    assert!(yaml.text.contains("name: ML Ops\n"), "{}", yaml.text);
    let prod = sb.admin().in_project(&sb.project("acme", "prod"));
    let form = reqwest::multipart::Form::new().part(
        "importFile",
        reqwest::multipart::Part::text(yaml.text.clone()).file_name("ml-ops.yaml"),
    );
    let reply = prod
        .send(
            prod.request(Method::POST, "/v1/clusterprofiles/import/file")
                .multipart(form),
        )
        .await;
    reply.expect(201);
    let uid3 = reply.json()["uid"].as_str().unwrap().to_string();
    assert_eq!(
        prod.get(&format!("/v1/clusterprofiles/{uid3}/export"))
            .await
            .json(),
        ml_ops()
    );

    let no_field = reqwest::multipart::Form::new().text("other", "x");
    let reply = prod
        .send(
            prod.request(Method::POST, "/v1/clusterprofiles/import/file")
                .multipart(no_field),
        )
        .await;
    reply.expect(400);
}

#[tokio::test]
async fn sandbox_import_validate_matches_registries_by_name_and_kind() {
    let sb = Sandbox::start().await;
    let api = sb.admin();
    // The source environment's registry uid is not this sandbox's.
    let mut doc = ml_ops();
    for pack in doc["spec"]["template"]["packs"].as_array_mut().unwrap() {
        pack["registry"]["metadata"]["uid"] = json!("0123456789abcdef01234567");
    }
    let reply = api.post("/v1/clusterprofiles/import/validate", &doc).await;
    reply.expect(200);
    for pack in reply.json()["spec"]["template"]["packs"]
        .as_array()
        .unwrap()
    {
        let matching = pack["registry"]["matchingRegistries"].as_array().unwrap();
        assert_eq!(matching.len(), 1, "{pack}");
        assert_eq!(matching[0]["uid"], "5e2031962f090e2d3d8a3290");
        assert_eq!(matching[0]["name"], "Public Repo");
        assert_eq!(matching[0]["kind"], "pack");
    }

    // Same name, other kind: no match.
    let mut other_kind = doc.clone();
    other_kind["spec"]["template"]["packs"][0]["registry"]["metadata"]["kind"] = json!("oci");
    let reply = api
        .post("/v1/clusterprofiles/import/validate", &other_kind)
        .await
        .json();
    assert_eq!(
        reply["spec"]["template"]["packs"][0]["registry"]["matchingRegistries"],
        json!([])
    );
    let refused = api.post("/v1/clusterprofiles/import", &other_kind).await;
    refused.expect(400);
    assert_eq!(refused.code(), "PackNotFound");

    // Import resolves by name and kind; the export names this sandbox's registry.
    let uid = api.import(&doc).await;
    let export = api
        .get(&format!("/v1/clusterprofiles/{uid}/export"))
        .await
        .json();
    assert_eq!(export, ml_ops());

    let mut missing = ml_ops();
    missing["spec"]["template"]["packs"][1]["version"] = json!("99.0.0");
    missing["spec"]["template"]["packs"][1]["tag"] = json!("99.0.0");
    missing["metadata"]["name"] = json!("missing pack");
    let refused = api.post("/v1/clusterprofiles/import", &missing).await;
    refused.expect(400);
    assert_eq!(refused.code(), "PackNotFound");
    assert_eq!(
        api.profile_names().await,
        vec!["ML Ops"],
        "a refused import stores nothing"
    );
}

#[tokio::test]
async fn sandbox_validate_name_is_204_when_free_and_409_when_taken() {
    let sb = Sandbox::start().await;
    let api = sb.admin();
    let free = api
        .get("/v1/clusterprofiles/validate/name?name=ML%20Ops&version=1.0.0")
        .await;
    free.expect(204);
    assert!(free.text.is_empty());
    api.import(&ml_ops()).await;
    let taken = api
        .get("/v1/clusterprofiles/validate/name?name=ML%20Ops&version=1.0.0")
        .await;
    taken.expect(409);
    assert_eq!(taken.code(), "ClusterProfileAlreadyExists");
    api.get("/v1/clusterprofiles/validate/name?name=ML%20Ops&version=1.0.1")
        .await
        .expect(204);
    api.get("/v1/clusterprofiles/validate/name?version=1.0.1")
        .await
        .expect(400);
    let again = api.post("/v1/clusterprofiles/import", &ml_ops()).await;
    again.expect(409);
    assert_eq!(again.code(), "ClusterProfileAlreadyExists");
}

#[tokio::test]
async fn sandbox_refuses_undeclared_variables_and_undefined_macros() {
    let sb = Sandbox::start().await;
    let api = sb.admin();
    let uses_var = small_profile("vars", "ns: {{ .spectro.var.namespace }}\n");
    let refused = api.post("/v1/clusterprofiles/import", &uses_var).await;
    refused.expect(400);
    assert_eq!(refused.code(), "PackVariablesUndefined");
    assert_eq!(refused.json()["details"]["variables"], json!(["namespace"]));

    let mut declared = uses_var.clone();
    declared["spec"]["variables"] = json!([{"name": "namespace", "defaultValue": "web"}]);
    api.import(&declared).await;

    let uses_macro = small_profile(
        "macros",
        "region: \"{{.spectro.macro.region | default \\\"x\\\"}}\"\n",
    );
    let refused = api.post("/v1/clusterprofiles/import", &uses_macro).await;
    refused.expect(400);
    assert_eq!(refused.code(), "MacrosUndefined");
    let tenant = sb.running.tenant("acme").unwrap().uid.clone();
    api.post(
        &format!("/v1/tenants/{tenant}/macros"),
        &json!({"macros": [{"name": "region", "value": "eu"}]}),
    )
    .await
    .expect(204);
    api.import(&uses_macro).await;

    let malformed = api
        .send(
            api.request(Method::POST, "/v1/clusterprofiles/import")
                .body("{not json"),
        )
        .await;
    malformed.expect(400);
    assert_eq!(malformed.code(), "BadRequest");
}

#[tokio::test]
async fn sandbox_macros_resolve_project_over_tenant_over_system() {
    let sb = Sandbox::start().await;
    let api = sb.admin();
    let tenant = sb.running.tenant("acme").unwrap().uid.clone();
    let prod_uid = sb.project("acme", "prod");
    let set = |v: &str| json!({"macros": [{"name": "env", "value": v}]});
    api.post("/v1/users/system/macros", &set("system"))
        .await
        .expect(204);
    api.post(&format!("/v1/tenants/{tenant}/macros"), &set("tenant"))
        .await
        .expect(204);
    api.post(&format!("/v1/projects/{prod_uid}/macros"), &set("project"))
        .await
        .expect(204);
    let env_in = |reply: Value| {
        reply["macros"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "env")
            .unwrap()["value"]
            .clone()
    };

    assert_eq!(
        env_in(
            api.in_project(&prod_uid)
                .get("/v1/clusterprofiles/macros")
                .await
                .json()
        ),
        "project"
    );
    assert_eq!(
        env_in(
            api.in_project(&sb.project("acme", "staging"))
                .get("/v1/clusterprofiles/macros")
                .await
                .json()
        ),
        "tenant"
    );
    assert_eq!(
        env_in(api.get("/v1/clusterprofiles/macros").await.json()),
        "tenant"
    );
    let globex = sb.client("globex", Role::Admin);
    assert_eq!(
        env_in(globex.get("/v1/clusterprofiles/macros").await.json()),
        "system"
    );

    let again = api
        .post(&format!("/v1/tenants/{tenant}/macros"), &set("twice"))
        .await;
    again.expect(409);
    api.call(
        Method::PATCH,
        &format!("/v1/tenants/{tenant}/macros"),
        &set("patched"),
    )
    .await
    .expect(204);
    assert_eq!(
        env_in(api.get("/v1/clusterprofiles/macros").await.json()),
        "patched"
    );
    api.call(
        Method::DELETE,
        &format!("/v1/projects/{prod_uid}/macros"),
        &json!({"macros": [{"name": "env"}]}),
    )
    .await
    .expect(204);
    assert_eq!(
        env_in(
            api.in_project(&prod_uid)
                .get("/v1/clusterprofiles/macros")
                .await
                .json()
        ),
        "patched"
    );
    api.call(
        Method::PUT,
        &format!("/v1/tenants/{tenant}/macros"),
        &json!({"macros": []}),
    )
    .await
    .expect(204);
    assert_eq!(
        env_in(api.get("/v1/clusterprofiles/macros").await.json()),
        "system"
    );
    // Another tenant's macros are not reachable.
    globex
        .get(&format!("/v1/tenants/{tenant}/macros"))
        .await
        .expect(404);
    sb.client("acme", Role::ReadOnly)
        .post("/v1/users/system/macros", &set("x"))
        .await
        .expect(403);
}

/// A profile with a pack whose schema marks a password, a pack holding an unmarked secret, and a
/// sensitive variable.
fn secret_profile() -> Value {
    json!({
        "metadata": { "name": "secrets" },
        "spec": {
            "version": "1.0.0",
            "variables": [
                { "name": "token", "isSensitive": true, "defaultValue": "s3cr3t-token" },
                { "name": "plain", "defaultValue": "visible" }
            ],
            "template": { "type": "add-on", "cloudType": "all", "packs": [
                { "name": "akuity-agent", "type": "spectro", "layer": "addon", "version": "0.30.0-5.5.2026",
                  "values": "charts:\n  akuity-agent:\n    akuityApiKeySecret: hunter2-api-key # keep me\n    other: ok\n",
                  "registry": { "metadata": { "uid": "5e2031962f090e2d3d8a3290", "name": "Public Repo", "kind": "pack", "isPrivate": false } } },
                { "name": "hello-universe", "type": "spectro", "layer": "addon", "version": "1.3.1",
                  "values": "manifests:\n  hello-universe:\n    dbPassword: cGFzc3dvcmQ=\n    token: \"{{.spectro.var.token}}\"\n",
                  "registry": { "metadata": { "uid": "5e2031962f090e2d3d8a3290", "name": "Public Repo", "kind": "pack", "isPrivate": false } } }
            ]}
        }
    })
}

#[tokio::test]
async fn sandbox_never_returns_schema_marked_secrets_or_sensitive_variables() {
    let sb = Sandbox::start().await;
    let api = sb.admin();
    let uid = api.import(&secret_profile()).await;

    let export = api.get(&format!("/v1/clusterprofiles/{uid}/export")).await;
    export.expect(200);
    let get = api
        .get(&format!(
            "/v1/clusterprofiles/{uid}?includePackMeta=schema,presets"
        ))
        .await;
    get.expect(200);
    let vars = api
        .get(&format!("/v1/clusterprofiles/{uid}/variables"))
        .await;
    for reply in [&export, &get, &vars] {
        assert!(!reply.text.contains("hunter2-api-key"), "{}", reply.text);
        assert!(!reply.text.contains("s3cr3t-token"), "{}", reply.text);
    }
    let doc = export.json();
    let akuity = doc["spec"]["template"]["packs"][0]["values"]
        .as_str()
        .unwrap();
    assert!(
        akuity.contains("akuityApiKeySecret: \"********\" # keep me"),
        "{akuity}"
    );
    assert!(akuity.contains("other: ok"));
    // Not marked by its schema: comes back as stored, as on Palette.
    assert!(
        doc["spec"]["template"]["packs"][1]["values"]
            .as_str()
            .unwrap()
            .contains("dbPassword: cGFzc3dvcmQ=")
    );
    assert_eq!(doc["spec"]["variables"][0]["defaultValue"], "********");
    assert_eq!(doc["spec"]["variables"][1]["defaultValue"], "visible");
    let schema = &get.json()["spec"]["published"]["packs"][0]["schema"];
    assert!(
        schema
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["format"] == "${password}")
    );

    // Writing the masked variables back keeps the stored secret.
    let masked = vars.json();
    api.call(
        Method::PUT,
        &format!("/v1/clusterprofiles/{uid}/variables"),
        &masked,
    )
    .await
    .expect(204);
    let db = rusqlite::Connection::open(sb.dir.path().join("sandbox.db")).unwrap();
    let stored: String = db
        .query_row("SELECT doc FROM profiles WHERE uid = ?1", [&uid], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        stored.contains("s3cr3t-token") && stored.contains("hunter2-api-key"),
        "the store keeps the secrets"
    );
}

#[tokio::test]
async fn sandbox_rate_limits_answer_429_with_retry_after() {
    let sb = Sandbox::start_with(|c| {
        // No refill within the test: the bucket empties after its burst, whatever the machine's speed.
        c.rate_limits = Some(RateLimits {
            general: Bucket {
                per_second: 0.0001,
                burst: 3,
            },
            profiles: Bucket {
                per_second: 0.0001,
                burst: 2,
            },
        })
    })
    .await;
    let api = sb.admin();
    for _ in 0..3 {
        api.get("/v1/users/info").await.expect(200);
    }
    let limited = api.get("/v1/users/info").await;
    limited.expect(429);
    assert_eq!(limited.code(), "TooManyRequests");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    // /v1/clusterprofiles* has its own bucket.
    api.get("/v1/clusterprofiles/macros").await.expect(200);
    api.get("/v1/clusterprofiles/macros").await.expect(200);
    api.get("/v1/clusterprofiles/macros").await.expect(429);
}

#[tokio::test]
async fn sandbox_clones_publishes_and_deletes() {
    let sb = Sandbox::start().await;
    let api = sb.admin();
    let prod = sb.project("acme", "prod");
    let reply = api.post("/v1/clusterprofiles", &json!({
        "metadata": { "name": "made-here", "labels": { "team": "web" } },
        "spec": { "version": "1.0.0", "template": { "type": "add-on", "cloudType": "all", "packs": [
            { "name": "hello-universe", "tag": "1.3.1", "registryUid": "5e2031962f090e2d3d8a3290", "type": "spectro" }
        ]}}
    })).await;
    reply.expect(201);
    let uid = reply.json()["uid"].as_str().unwrap().to_string();
    let got = api.get(&format!("/v1/clusterprofiles/{uid}")).await.json();
    assert_eq!(got["status"]["isPublished"], false);
    assert!(
        got["spec"]["draft"]["packs"][0]["values"]
            .as_str()
            .unwrap()
            .contains("hello-universe"),
        "default values"
    );
    api.call(
        Method::PATCH,
        &format!("/v1/clusterprofiles/{uid}/publish"),
        &json!({}),
    )
    .await
    .expect(204);
    assert_eq!(
        api.get(&format!("/v1/clusterprofiles/{uid}")).await.json()["status"]["isPublished"],
        true
    );

    let clone = json!({"metadata": {"name": "made-here", "version": "1.1.0", "target": {"scope": "project", "projectUid": prod}}});
    api.post(
        &format!("/v1/clusterprofiles/{uid}/clone/validate"),
        &clone["metadata"],
    )
    .await
    .expect(204);
    let reply = api
        .post(&format!("/v1/clusterprofiles/{uid}/clone"), &clone)
        .await;
    reply.expect(201);
    let cloned = reply.json()["uid"].as_str().unwrap().to_string();
    let in_prod = api.in_project(&prod);
    assert_eq!(
        in_prod
            .get(&format!("/v1/clusterprofiles/{cloned}"))
            .await
            .json()["spec"]["version"],
        "1.1.0"
    );
    api.post(&format!("/v1/clusterprofiles/{uid}/clone"), &clone)
        .await
        .expect(409);

    api.call(
        Method::DELETE,
        &format!("/v1/clusterprofiles/{uid}"),
        &json!({}),
    )
    .await
    .expect(204);
    api.get(&format!("/v1/clusterprofiles/{uid}"))
        .await
        .expect(404);
    in_prod
        .get(&format!("/v1/clusterprofiles/{cloned}"))
        .await
        .expect(200);
}

/// The folder of pack folders the built-in set was copied from: `../shared/palette-packs` beside the
/// repository when it is there (the full 220 packs), else the repository's own seed folder.
fn pack_folder() -> (std::path::PathBuf, bool) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../../shared/palette-packs");
    if shared.is_dir() {
        (shared, true)
    } else {
        (root.join("seed"), false)
    }
}

#[tokio::test]
async fn sandbox_seeds_every_pack_of_a_folder() {
    let (packs, full) = pack_folder();
    let sb = Sandbox::start_with(|c| c.seed_dir = Some(packs.clone())).await;
    let api = sb.admin();
    let in_public_repo = std::fs::read_dir(&packs)
        .unwrap()
        .map(|e| e.unwrap().path().join("pack.json"))
        .filter(|p| p.is_file())
        .count();
    let listed = api
        .get("/v1/packs?filters=spec.registryUid=5e2031962f090e2d3d8a3290")
        .await
        .json();
    assert_eq!(
        listed["listmeta"]["count"].as_u64().unwrap() as usize,
        in_public_repo,
        "every pack folder in Public Repo"
    );
    if full {
        // A pack the built-in set leaves out (folder hitachi-hspc-*, pack csi-hitachi-hspc), with its schema.
        let hitachi = api
            .get("/v1/packs/csi-hitachi-hspc/registries/5e2031962f090e2d3d8a3290")
            .await;
        hitachi.expect(200);
        assert_eq!(hitachi.json()["tags"].as_array().unwrap().len(), 5);
        assert!(hitachi.text.contains("${password}"));
    } else {
        // The seed folder's hello-universe holds two versions; akuity-agent's schema marks a password.
        let hello = api
            .get("/v1/packs/hello-universe/registries/5e2031962f090e2d3d8a3290")
            .await;
        hello.expect(200);
        assert_eq!(hello.json()["tags"].as_array().unwrap().len(), 2);
        let akuity = api
            .get("/v1/packs/akuity-agent/registries/5e2031962f090e2d3d8a3290")
            .await;
        akuity.expect(200);
        assert!(akuity.text.contains("${password}"));
    }
}
