//! Starting sandboxes in-process and talking to them over real HTTP, for the sandbox tests (and for
//! ferry's end-to-end tests of `ferry sandbox serve`, which include this file).

use std::path::Path;

use ferry_sandbox::{Role, RunningSandbox, SandboxConfig};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// A sandbox on a free loopback port, with its data folder.
pub struct Sandbox {
    pub running: RunningSandbox,
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    /// A fresh sandbox without rate limits (tests that want them say so).
    pub async fn start() -> Sandbox {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tune: impl FnOnce(&mut SandboxConfig)) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let running = start_in(dir.path(), None, tune).await;
        Sandbox { running, dir }
    }

    /// A client of tenant `tenant` with its key of `role`, at tenant scope.
    pub fn client(&self, tenant: &str, role: Role) -> Api {
        let tenant = self.running.tenant(tenant).expect("seeded tenant");
        Api::new(
            self.running.url(),
            Some(tenant.key(role).expect("seeded key").to_string()),
        )
    }

    /// The admin client of "acme".
    pub fn admin(&self) -> Api {
        self.client("acme", Role::Admin)
    }

    /// The uid of a seeded project.
    pub fn project(&self, tenant: &str, name: &str) -> String {
        self.running
            .tenant(tenant)
            .unwrap()
            .project(name)
            .unwrap()
            .to_string()
    }

    pub async fn stop(self) -> tempfile::TempDir {
        self.running.shutdown().await.unwrap();
        self.dir
    }
}

/// Starts a sandbox on `data_dir` (port 0 unless `listen` is given).
pub async fn start_in(
    data_dir: &Path,
    listen: Option<std::net::SocketAddr>,
    tune: impl FnOnce(&mut SandboxConfig),
) -> RunningSandbox {
    let mut config = SandboxConfig::new(data_dir);
    config.listen = listen.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap());
    config.rate_limits = None;
    tune(&mut config);
    ferry_sandbox::start(config).await.unwrap()
}

/// One answer: status, headers and body text.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The `code` of Palette's error body.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }

    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected answer: {}",
            self.text
        );
        self
    }
}

/// A client with a key and an optional project scope.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub key: Option<String>,
    pub project: Option<String>,
    pub token: Option<String>,
    http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str, key: Option<String>) -> Api {
        Api {
            base: base.to_string(),
            key,
            project: None,
            token: None,
            http: reqwest::Client::new(),
        }
    }

    /// The same client signing in with a token instead of a key.
    pub fn with_token(&self, token: &str) -> Api {
        Api {
            key: None,
            token: Some(token.to_string()),
            ..self.clone()
        }
    }

    /// The same client in project `uid`.
    pub fn in_project(&self, uid: &str) -> Api {
        Api {
            project: Some(uid.to_string()),
            ..self.clone()
        }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(key) = &self.key {
            req = req.header("ApiKey", key);
        }
        if let Some(token) = &self.token {
            req = req.header("Authorization", token);
        }
        if let Some(project) = &self.project {
            req = req.header("ProjectUid", project);
        }
        req
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let response = req.send().await.expect("the sandbox answers");
        Reply {
            status: response.status(),
            headers: response.headers().clone(),
            text: response.text().await.expect("a complete body"),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn call(&self, method: Method, path: &str, body: &Value) -> Reply {
        self.send(self.request(method, path).json(body)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.call(Method::POST, path, body).await
    }

    /// Imports a document and returns the new profile's uid.
    pub async fn import(&self, doc: &Value) -> String {
        let reply = self
            .post("/v1/clusterprofiles/import?publish=true", doc)
            .await;
        reply.expect(201);
        reply.json()["uid"].as_str().unwrap().to_string()
    }

    /// The names of the profiles this client sees.
    pub async fn profile_names(&self) -> Vec<String> {
        let reply = self.get("/v1/dashboard/clusterprofiles/metadata").await;
        reply.expect(200);
        let mut names: Vec<String> = reply.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    }
}

/// The ML Ops export fixture, as text.
pub fn ml_ops_text() -> String {
    include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/ml-ops-export.json"
    ))
    .to_string()
}

pub fn ml_ops() -> Value {
    serde_json::from_str(&ml_ops_text()).unwrap()
}

/// A small add-on profile named `name` with one pack of the seeded Public Repo.
pub fn small_profile(name: &str, values: &str) -> Value {
    serde_json::json!({
        "metadata": { "name": name, "labels": {} },
        "spec": {
            "version": "1.0.0",
            "template": { "type": "add-on", "cloudType": "all", "packs": [{
                "name": "kubeflow", "type": "spectro", "layer": "addon", "version": "1.2.0", "tag": "1.2.0",
                "values": values,
                "registry": { "metadata": { "uid": "5e2031962f090e2d3d8a3290", "name": "Public Repo",
                                            "kind": "pack", "isPrivate": false } }
            }]}
        }
    })
}
