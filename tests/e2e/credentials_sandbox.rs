//! A sandbox server for the credentials tests: the real `ferry sandbox serve` on loopback, stopped
//! when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A running `ferry sandbox serve`.
pub struct Sandbox {
    child: Child,
    pub url: String,
    ready: Value,
}

impl Sandbox {
    /// Starts a sandbox storing its data under `data`, with extra `flags`.
    pub fn start(data: &Path, flags: &[&str]) -> Self {
        Self::start_on(data, "127.0.0.1:0", flags)
    }

    /// Starts a sandbox listening on `listen` (`host:port`).
    pub fn start_on(data: &Path, listen: &str, flags: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferry"))
            .args([
                "sandbox",
                "serve",
                "--listen",
                listen,
                "--print-keys",
                "--data",
            ])
            .arg(data)
            .args(flags)
            .env_remove("FERRY_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the sandbox starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the sandbox prints its address");
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("sandbox ready line {line:?}: {e}"));
        let url = ready["url"].as_str().expect("url").to_owned();
        Self { child, url, ready }
    }

    /// The tenant called `name` in the ready line.
    fn tenant(&self, name: &str) -> &Value {
        self.ready["tenants"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["name"] == name))
            .unwrap_or_else(|| panic!("no tenant {name} in {}", self.ready))
    }

    /// An API key of tenant `tenant` whose role is `role`, else the tenant's first key.
    pub fn key(&self, tenant: &str, role: &str) -> String {
        let keys = self.tenant(tenant)["keys"].as_array().expect("keys");
        let key = keys.iter().find(|k| k["role"] == role).unwrap_or(&keys[0]);
        key["key"].as_str().expect("key").to_owned()
    }

    /// The uid of project `project` of tenant `tenant`.
    pub fn project_uid(&self, tenant: &str, project: &str) -> String {
        let projects = self.tenant(tenant)["projects"]
            .as_array()
            .expect("projects");
        let found = projects
            .iter()
            .find(|p| p["name"] == project)
            .unwrap_or_else(|| panic!("no project {project}"));
        found["uid"].as_str().expect("uid").to_owned()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
