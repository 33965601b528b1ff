//! Every response of every path of the contract (`palette-apis-subset.json`) conforms to the spec: a
//! documented status carries its documented schema (Swagger 2.0 schema objects checked as JSON Schema
//! draft 4 against all of the spec's definitions); any other status is an error with Palette's body.

use std::collections::BTreeSet;
use std::sync::Mutex;

use ferry_sandbox::{Bucket, RateLimits, Role};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Api, Reply, Sandbox, ml_ops, ml_ops_text, small_profile};

/// Palette's error body; the contract leaves errors undocumented.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["code", "message", "ref", "details"],
        "properties": { "code": { "type": "string", "minLength": 1 }, "message": { "type": "string" },
                        "ref": { "type": "string" } }
    })
}

struct Contract {
    spec: Value,
    /// (method, path template, status) of every checked response.
    seen: Mutex<Vec<(String, String, u16)>>,
    failures: Mutex<Vec<String>>,
}

impl Contract {
    fn load() -> Contract {
        let text = include_str!("../spec/palette-apis-subset.json");
        Contract {
            spec: serde_json::from_str(text).unwrap(),
            seen: Mutex::default(),
            failures: Mutex::default(),
        }
    }

    fn operations(&self) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, ops) in self.spec["paths"].as_object().unwrap() {
            for method in ops
                .as_object()
                .unwrap()
                .keys()
                .filter(|m| *m != "parameters")
            {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
        out
    }

    fn validate(&self, schema: &Value, body: &Value) -> Result<(), String> {
        let mut wrapped = schema.clone();
        wrapped["definitions"] = self.spec["definitions"].clone();
        let validator =
            jsonschema::draft4::new(&wrapped).map_err(|e| format!("bad schema: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .take(5)
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    /// Checks one response of `method template` against the contract.
    fn check(&self, method: &Method, template: &str, reply: &Reply) {
        let status = reply.status.as_u16();
        self.seen
            .lock()
            .unwrap()
            .push((method.to_string(), template.to_string(), status));
        let op = &self.spec["paths"][template][method.as_str().to_lowercase()];
        let fail = |why: String| {
            self.failures.lock().unwrap().push(format!(
                "{method} {template} -> {status}: {why}\n  body: {:.400}",
                reply.text
            ))
        };
        if op.is_null() {
            return fail("not an operation of the contract".into());
        }
        let documented = &op["responses"][status.to_string()];
        if documented.is_null() {
            if status < 400 {
                return fail("an undocumented success status".into());
            }
            match serde_json::from_str::<Value>(&reply.text) {
                Ok(body) => {
                    if let Err(e) = self.validate(&error_schema(), &body) {
                        fail(format!("error body is not Palette's: {e}"));
                    }
                }
                Err(e) => fail(format!("error body is not JSON: {e}")),
            }
            return;
        }
        for header in documented["headers"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(h, _)| h)
        {
            if !reply.headers.contains_key(header.as_str()) {
                fail(format!("documented header {header} is missing"));
            }
        }
        let schema = &documented["schema"];
        if schema.is_null() {
            if !reply.text.is_empty() {
                fail("a response documented without body has one".into());
            }
        } else if schema["format"] == "binary" {
            if reply.text.is_empty() {
                fail("the file body is empty".into());
            }
        } else {
            match serde_json::from_str::<Value>(&reply.text) {
                Ok(body) => {
                    if let Err(e) = self.validate(schema, &body) {
                        fail(format!("does not match {}: {e}", schema));
                    }
                }
                Err(e) => fail(format!("body is not JSON: {e}")),
            }
        }
    }
}

/// Sends a request to a path template with its parameters filled in, and checks the response.
async fn hit(
    c: &Contract,
    api: &Api,
    method: Method,
    template: &str,
    params: &[(&str, &str)],
    query: &str,
    body: Option<&Value>,
) -> Reply {
    let mut path = template.to_string();
    for (name, value) in params {
        path = path.replace(&format!("{{{name}}}"), value);
    }
    let mut req = api.request(method.clone(), &format!("{path}{query}"));
    if let Some(body) = body {
        req = req.json(body);
    }
    let reply = api.send(req).await;
    c.check(&method, template, &reply);
    reply
}

#[tokio::test]
async fn sandbox_every_response_conforms_to_the_contract() {
    let c = Contract::load();
    let sb = Sandbox::start().await;
    let admin = sb.admin();
    let acme = sb.running.tenant("acme").unwrap().clone();
    let prod_uid = sb.project("acme", "prod");
    let prod = admin.in_project(&prod_uid);
    let public = "5e2031962f090e2d3d8a3290";

    // Errors first: every operation refuses a caller without credentials with Palette's body.
    let anonymous = Api::new(sb.running.url(), None);
    for (method, template) in c.operations() {
        let method: Method = method.parse().unwrap();
        let filled = ["uid", "tenantUid", "packName", "registryUid"]
            .map(|p| (p, "0123456789abcdef01234567"));
        let reply = hit(
            &c,
            &anonymous,
            method,
            &template,
            &filled,
            "",
            Some(&json!({})),
        )
        .await;
        let expected = if template == "/v1/auth/authenticate" {
            400
        } else {
            401
        };
        assert_eq!(
            reply.status.as_u16(),
            expected,
            "{template}: {}",
            reply.text
        );
    }

    // Accounts.
    let key = acme.key(Role::Admin).unwrap().to_string();
    let login = json!({ "emailId": "admin@acme.sandbox", "password": key, "org": "acme" });
    hit(
        &c,
        &anonymous,
        Method::POST,
        "/v1/auth/authenticate",
        &[],
        "",
        Some(&login),
    )
    .await
    .expect(200);
    hit(
        &c,
        &anonymous,
        Method::POST,
        "/v1/auth/authenticate",
        &[],
        "",
        Some(&json!({"emailId": "x", "password": "y"})),
    )
    .await
    .expect(401);
    hit(&c, &admin, Method::GET, "/v1/users/info", &[], "", None)
        .await
        .expect(200);
    hit(
        &c,
        &admin,
        Method::GET,
        "/v1/dashboard/projects/metadata",
        &[],
        "",
        None,
    )
    .await
    .expect(200);
    hit(
        &c,
        &admin,
        Method::GET,
        "/v1/dashboard/projects/metadata",
        &[],
        "?name=prod",
        None,
    )
    .await
    .expect(200);
    hit(
        &c,
        &admin,
        Method::GET,
        "/v1/projects/{uid}",
        &[("uid", &prod_uid)],
        "",
        None,
    )
    .await
    .expect(200);
    hit(
        &c,
        &admin,
        Method::GET,
        "/v1/projects/{uid}",
        &[("uid", "nope")],
        "",
        None,
    )
    .await
    .expect(404);

    // Registries and packs.
    hit(
        &c,
        &admin,
        Method::GET,
        "/v1/registries/metadata",
        &[],
        "",
        None,
    )
    .await
    .expect(200);
    hit(
        &c,
        &admin,
        Method::GET,
        "/v1/registries/pack",
        &[],
        "",
        None,
    )
    .await
    .expect(200);
    hit(
        &c,
        &admin,
        Method::GET,
        "/v1/registries/pack/summary",
        &[],
        "",
        None,
    )
    .await
    .expect(200);
    hit(
        &c,
        &admin,
        Method::GET,
        "/v1/registries/helm",
        &[],
        "",
        None,
    )
    .await
    .expect(200);
    hit(
        &c,
        &admin,
        Method::GET,
        "/v1/registries/helm/summary",
        &[],
        "?limit=1",
        None,
    )
    .await
    .expect(200);
    hit(
        &c,
        &admin,
        Method::GET,
        "/v1/registries/oci/summary",
        &[],
        "",
        None,
    )
    .await
    .expect(200);
    let pack_registry = json!({"metadata": {"name": "Team Packs"}, "spec": {"endpoint": "https://packs.example.com", "auth": {"type": "noAuth"}}});
    hit(
        &c,
        &admin,
        Method::POST,
        "/v1/registries/pack",
        &[],
        "",
        Some(&pack_registry),
    )
    .await
    .expect(201);
    hit(
        &c,
        &admin,
        Method::POST,
        "/v1/registries/pack",
        &[],
        "",
        Some(&pack_registry),
    )
    .await
    .expect(409);
    let helm_registry = json!({"metadata": {"name": "Team Charts"}, "spec": {"endpoint": "https://charts.example.com", "auth": {"type": "noAuth"}}});
    hit(
        &c,
        &admin,
        Method::POST,
        "/v1/registries/helm",
        &[],
        "",
        Some(&helm_registry),
    )
    .await
    .expect(201);
    let packs = hit(&c, &admin, Method::GET, "/v1/packs", &[], "", None).await;
    packs.expect(200);
    assert!(packs.json()["listmeta"]["count"].as_u64().unwrap() > 25);
    let argo = hit(
        &c,
        &admin,
        Method::GET,
        "/v1/packs",
        &[],
        "?filters=spec.name=argo-cdANDspec.version=3.26.7",
        None,
    )
    .await;
    let argo_uid = argo.json()["items"][0]["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    hit(
        &c,
        &admin,
        Method::GET,
        "/v1/packs",
        &[],
        "?filters=spec.colour=red",
        None,
    )
    .await
    .expect(400);
    hit(&c, &admin, Method::POST, "/v1/packs/search", &[], "", Some(&json!({"filter": {"name": {"beginsWith": "hello"}}, "sort": [{"field": "name", "order": "asc"}]}))).await.expect(200);
    hit(
        &c,
        &admin,
        Method::POST,
        "/v1/packs/search",
        &[],
        "?limit=2",
        Some(&json!({})),
    )
    .await
    .expect(200);
    hit(
        &c,
        &admin,
        Method::GET,
        "/v1/packs/{packName}/registries/{registryUid}",
        &[("packName", "thanos"), ("registryUid", public)],
        "",
        None,
    )
    .await
    .expect(200);
    hit(
        &c,
        &admin,
        Method::GET,
        "/v1/packs/{packName}/registries/{registryUid}",
        &[("packName", "nope"), ("registryUid", public)],
        "",
        None,
    )
    .await
    .expect(404);
    hit(
        &c,
        &admin,
        Method::GET,
        "/v1/packs/{uid}",
        &[("uid", &argo_uid)],
        "",
        None,
    )
    .await
    .expect(200);

    // Macros at every scope.
    let macros = json!({"macros": [{"name": "region", "value": "eu"}]});
    for (template, params) in [
        ("/v1/users/system/macros", vec![]),
        (
            "/v1/tenants/{tenantUid}/macros",
            vec![("tenantUid", acme.uid.as_str())],
        ),
        (
            "/v1/projects/{uid}/macros",
            vec![("uid", prod_uid.as_str())],
        ),
    ] {
        hit(
            &c,
            &admin,
            Method::POST,
            template,
            &params,
            "",
            Some(&macros),
        )
        .await
        .expect(204);
        hit(
            &c,
            &admin,
            Method::POST,
            template,
            &params,
            "",
            Some(&macros),
        )
        .await
        .expect(409);
        hit(&c, &admin, Method::GET, template, &params, "", None)
            .await
            .expect(200);
        hit(
            &c,
            &admin,
            Method::PATCH,
            template,
            &params,
            "",
            Some(&json!({"macros": [{"name": "region", "value": "us"}]})),
        )
        .await
        .expect(204);
        hit(
            &c,
            &admin,
            Method::PATCH,
            template,
            &params,
            "",
            Some(&json!({"macros": [{"name": "nope", "value": "us"}]})),
        )
        .await
        .expect(404);
        hit(&c, &admin, Method::PUT, template, &params, "", Some(&json!({"macros": [{"name": "region", "value": "ap"}, {"name": "zone", "value": "a"}]}))).await.expect(204);
        hit(
            &c,
            &admin,
            Method::DELETE,
            template,
            &params,
            "",
            Some(&json!({"macros": [{"name": "zone"}]})),
        )
        .await
        .expect(204);
        hit(
            &c,
            &admin,
            Method::POST,
            template,
            &params,
            "",
            Some(&json!({"macros": [{"name": "bad name!", "value": "x"}]})),
        )
        .await
        .expect(400);
    }
    hit(
        &c,
        &prod,
        Method::GET,
        "/v1/clusterprofiles/macros",
        &[],
        "",
        None,
    )
    .await
    .expect(200);

    // Profiles: import, read, export, validations.
    let fixture = ml_ops();
    hit(
        &c,
        &prod,
        Method::GET,
        "/v1/clusterprofiles/validate/name",
        &[],
        "?name=ML%20Ops&version=1.0.0",
        None,
    )
    .await
    .expect(204);
    hit(
        &c,
        &prod,
        Method::POST,
        "/v1/clusterprofiles/import/validate",
        &[],
        "",
        Some(&fixture),
    )
    .await
    .expect(200);
    let imported = hit(
        &c,
        &prod,
        Method::POST,
        "/v1/clusterprofiles/import",
        &[],
        "?publish=true",
        Some(&fixture),
    )
    .await;
    imported.expect(201);
    let uid = imported.json()["uid"].as_str().unwrap().to_string();
    hit(
        &c,
        &prod,
        Method::POST,
        "/v1/clusterprofiles/import",
        &[],
        "",
        Some(&fixture),
    )
    .await
    .expect(409);
    hit(
        &c,
        &prod,
        Method::GET,
        "/v1/clusterprofiles/validate/name",
        &[],
        "?name=ML%20Ops&version=1.0.0",
        None,
    )
    .await
    .expect(409);
    hit(
        &c,
        &prod,
        Method::POST,
        "/v1/clusterprofiles/import",
        &[],
        "",
        Some(&small_profile("v", "a: {{.spectro.var.x}}")),
    )
    .await
    .expect(400);
    hit(
        &c,
        &prod,
        Method::POST,
        "/v1/clusterprofiles/import",
        &[],
        "",
        Some(&json!([1, 2])),
    )
    .await
    .expect(400);
    let viewer = sb.client("acme", Role::ReadOnly).in_project(&prod_uid);
    hit(
        &c,
        &viewer,
        Method::POST,
        "/v1/clusterprofiles/import",
        &[],
        "",
        Some(&small_profile("ro", "a: 1")),
    )
    .await
    .expect(403);
    let form = reqwest::multipart::Form::new().text("format", "json").part(
        "importFile",
        reqwest::multipart::Part::text(ml_ops_text().replace("\"ML Ops\"", "\"ML Ops file\""))
            .file_name("ml.json"),
    );
    let reply = admin
        .send(
            admin
                .request(Method::POST, "/v1/clusterprofiles/import/file")
                .multipart(form),
        )
        .await;
    c.check(&Method::POST, "/v1/clusterprofiles/import/file", &reply);
    reply.expect(201);
    let form = reqwest::multipart::Form::new()
        .part("importFile", reqwest::multipart::Part::text("{broken"));
    let reply = admin
        .send(
            admin
                .request(Method::POST, "/v1/clusterprofiles/import/file")
                .multipart(form),
        )
        .await;
    c.check(&Method::POST, "/v1/clusterprofiles/import/file", &reply);
    reply.expect(400);

    hit(
        &c,
        &prod,
        Method::GET,
        "/v1/clusterprofiles/{uid}",
        &[("uid", &uid)],
        "?includePackMeta=schema,presets",
        None,
    )
    .await
    .expect(200);
    hit(
        &c,
        &prod,
        Method::GET,
        "/v1/clusterprofiles/{uid}",
        &[("uid", &uid)],
        "",
        None,
    )
    .await
    .expect(200);
    hit(
        &c,
        &admin,
        Method::GET,
        "/v1/clusterprofiles/{uid}",
        &[("uid", &uid)],
        "",
        None,
    )
    .await
    .expect(404);
    hit(
        &c,
        &prod,
        Method::GET,
        "/v1/clusterprofiles/{uid}/export",
        &[("uid", &uid)],
        "?format=json",
        None,
    )
    .await
    .expect(200);
    hit(
        &c,
        &prod,
        Method::GET,
        "/v1/clusterprofiles/{uid}/export",
        &[("uid", &uid)],
        "?format=yaml",
        None,
    )
    .await
    .expect(200);
    hit(
        &c,
        &prod,
        Method::GET,
        "/v1/clusterprofiles/{uid}/export",
        &[("uid", &uid)],
        "?format=xml",
        None,
    )
    .await
    .expect(400);
    hit(
        &c,
        &prod,
        Method::GET,
        "/v1/dashboard/clusterprofiles/metadata",
        &[],
        "",
        None,
    )
    .await
    .expect(200);
    hit(&c, &prod, Method::POST, "/v1/dashboard/clusterprofiles", &[], "", Some(&json!({"filter": {"profileType": ["add-on"]}, "sort": [{"field": "profileName", "order": "desc"}]}))).await.expect(200);
    let draft = json!({"type": "add-on", "cloudType": "all", "packs": [
        {"name": "hello-universe", "tag": "1.3.1", "registryUid": public, "type": "spectro", "values": "manifests:\n  hello-universe:\n    namespace: hello\n"},
        {"name": "ghost", "tag": "0.0.1", "registryUid": public, "type": "spectro"}
    ]});
    let validated = hit(
        &c,
        &prod,
        Method::POST,
        "/v1/clusterprofiles/validate/packs",
        &[],
        "",
        Some(&draft),
    )
    .await;
    validated.expect(200);
    let codes: Vec<String> = validated.json()["packs"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["code"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        codes.contains(&"PackNotFound".to_string())
            && codes.contains(&"PackValueRequired".to_string()),
        "{codes:?}"
    );
    hit(
        &c,
        &prod,
        Method::POST,
        "/v1/clusterprofiles/{uid}/validate/packs",
        &[("uid", &uid)],
        "",
        Some(&draft),
    )
    .await
    .expect(200);

    // Create, update, publish, variables, clone, delete.
    let entity = json!({
        "metadata": {"name": "made-here", "labels": {"team": "web"}, "annotations": {"description": "made via API"}},
        "spec": {"version": "1.0.0", "variables": [{"name": "ns", "defaultValue": "web", "format": "string"}],
                 "template": {"type": "add-on", "cloudType": "all", "packs": [
                     {"name": "hello-universe", "tag": "1.3.1", "registryUid": public, "type": "spectro",
                      "values": "manifests:\n  hello-universe:\n    namespace: \"{{.spectro.var.ns}}\"\n"}]}}
    });
    let made = hit(
        &c,
        &prod,
        Method::POST,
        "/v1/clusterprofiles",
        &[],
        "",
        Some(&entity),
    )
    .await;
    made.expect(201);
    let made_uid = made.json()["uid"].as_str().unwrap().to_string();
    let update = json!({"metadata": {"labels": {"team": "platform"}}, "spec": {"version": "1.0.1", "template": {"type": "add-on", "packs": [
        {"name": "hello-universe", "tag": "1.3.1", "registryUid": public, "type": "spectro", "values": "manifests:\n  hello-universe:\n    namespace: \"{{.spectro.var.ns}}\"\n"}]}}});
    hit(
        &c,
        &prod,
        Method::PUT,
        "/v1/clusterprofiles/{uid}",
        &[("uid", &made_uid)],
        "",
        Some(&update),
    )
    .await
    .expect(204);
    hit(
        &c,
        &prod,
        Method::PATCH,
        "/v1/clusterprofiles/{uid}/publish",
        &[("uid", &made_uid)],
        "",
        None,
    )
    .await
    .expect(204);
    hit(
        &c,
        &prod,
        Method::GET,
        "/v1/clusterprofiles/{uid}/variables",
        &[("uid", &made_uid)],
        "",
        None,
    )
    .await
    .expect(200);
    let vars = json!({"variables": [{"name": "ns", "defaultValue": "web2"}, {"name": "token", "isSensitive": true, "defaultValue": "t0k"}]});
    hit(
        &c,
        &prod,
        Method::PUT,
        "/v1/clusterprofiles/{uid}/variables",
        &[("uid", &made_uid)],
        "",
        Some(&vars),
    )
    .await
    .expect(204);
    hit(
        &c,
        &prod,
        Method::PATCH,
        "/v1/clusterprofiles/{uid}/variables",
        &[("uid", &made_uid)],
        "",
        Some(
            &json!({"variables": [{"name": "token", "isSensitive": true, "defaultValue": "t1k"}]}),
        ),
    )
    .await
    .expect(204);
    hit(
        &c,
        &prod,
        Method::PATCH,
        "/v1/clusterprofiles/{uid}/variables",
        &[("uid", &made_uid)],
        "",
        Some(&json!({"variables": [{"name": "ghost"}]})),
    )
    .await
    .expect(404);
    hit(
        &c,
        &prod,
        Method::DELETE,
        "/v1/clusterprofiles/{uid}/variables",
        &[("uid", &made_uid)],
        "",
        Some(&json!({"variables": ["ns"]})),
    )
    .await
    .expect(400);
    hit(
        &c,
        &prod,
        Method::DELETE,
        "/v1/clusterprofiles/{uid}/variables",
        &[("uid", &made_uid)],
        "",
        Some(&json!({"variables": ["token"]})),
    )
    .await
    .expect(204);
    let clone_meta =
        json!({"name": "made-here-copy", "version": "2.0.0", "target": {"scope": "tenant"}});
    hit(
        &c,
        &prod,
        Method::POST,
        "/v1/clusterprofiles/{uid}/clone/validate",
        &[("uid", &made_uid)],
        "",
        Some(&clone_meta),
    )
    .await
    .expect(204);
    hit(
        &c,
        &prod,
        Method::POST,
        "/v1/clusterprofiles/{uid}/clone",
        &[("uid", &made_uid)],
        "",
        Some(&json!({"metadata": clone_meta})),
    )
    .await
    .expect(201);
    hit(
        &c,
        &prod,
        Method::POST,
        "/v1/clusterprofiles/{uid}/clone/validate",
        &[("uid", &made_uid)],
        "",
        Some(&clone_meta),
    )
    .await
    .expect(409);
    hit(
        &c,
        &prod,
        Method::POST,
        "/v1/clusterprofiles/{uid}/clone",
        &[("uid", &made_uid)],
        "",
        Some(&json!({"metadata": {}})),
    )
    .await
    .expect(400);
    hit(
        &c,
        &prod,
        Method::DELETE,
        "/v1/clusterprofiles/{uid}",
        &[("uid", &made_uid)],
        "",
        None,
    )
    .await
    .expect(204);
    hit(
        &c,
        &prod,
        Method::DELETE,
        "/v1/clusterprofiles/{uid}",
        &[("uid", &made_uid)],
        "",
        None,
    )
    .await
    .expect(404);

    // Projects: rename, delete (in the other tenant, which has one to spare).
    let globex = sb.client("globex", Role::Admin);
    let dev = sb.project("globex", "dev");
    hit(
        &c,
        &globex,
        Method::PUT,
        "/v1/projects/{uid}",
        &[("uid", &dev)],
        "",
        Some(&json!({"metadata": {"name": "development"}})),
    )
    .await
    .expect(204);
    hit(
        &c,
        &globex,
        Method::PUT,
        "/v1/projects/{uid}",
        &[("uid", &dev)],
        "",
        Some(&json!({"metadata": {"name": "Default"}})),
    )
    .await
    .expect(409);
    hit(
        &c,
        &globex,
        Method::DELETE,
        "/v1/projects/{uid}",
        &[("uid", &dev)],
        "",
        Some(&json!({})),
    )
    .await
    .expect(204);
    hit(
        &c,
        &globex,
        Method::DELETE,
        "/v1/projects/{uid}",
        &[("uid", &dev)],
        "",
        None,
    )
    .await
    .expect(404);

    // 429 with Palette's body, on a sandbox with a tiny bucket.
    let limited = Sandbox::start_with(|cfg| {
        cfg.rate_limits = Some(RateLimits {
            general: Bucket {
                per_second: 0.0001,
                burst: 1,
            },
            ..RateLimits::palette()
        })
    })
    .await;
    let api = limited.admin();
    hit(&c, &api, Method::GET, "/v1/users/info", &[], "", None)
        .await
        .expect(200);
    hit(&c, &api, Method::GET, "/v1/users/info", &[], "", None)
        .await
        .expect(429);

    let failures = c.failures.lock().unwrap();
    assert!(
        failures.is_empty(),
        "{} responses break the contract:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let seen = c.seen.lock().unwrap();
    let succeeded: BTreeSet<(String, String)> = seen
        .iter()
        .filter(|(_, _, s)| *s < 400)
        .map(|(m, t, _)| (m.clone(), t.clone()))
        .collect();
    let missing: Vec<_> = c.operations().difference(&succeeded).cloned().collect();
    assert!(
        missing.is_empty(),
        "operations never answered with success: {missing:?}"
    );
    let statuses: BTreeSet<u16> = seen.iter().map(|(_, _, s)| *s).collect();
    for status in [400, 401, 403, 404, 409, 429] {
        assert!(statuses.contains(&status), "no {status} was checked");
    }
}
