//! The `palette-api` interface of the plugin contract, carried by ferry's own client: the plugin
//! names an environment of the run, the host adds that environment's credentials and scope, and the
//! request goes through the client's retries and error handling, all within the time the plugin
//! has left. Which requests a plugin may make is checked before (`runtime::palette_access`).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::{Client, Scope};
use crate::runtime::PaletteTransport;
use crate::runtime::bindings::palette_api::{Request, Response};

pub struct ClientTransport {
    /// By key: an environment's name, or `ENV/PROJECT` for the same environment in a project
    /// other than its stored one ([`ClientTransport::add_scope`]).
    clients: RwLock<BTreeMap<String, Arc<Client>>>,
    // One runtime for the transport's life: the client's pooled connections live on it. Threads
    // of their own drive it, so a bulk run's workers can each block on a request at once.
    runtime: tokio::runtime::Runtime,
}

impl ClientTransport {
    /// A transport over these environments' clients, by environment name.
    pub fn new(clients: BTreeMap<String, Client>) -> std::io::Result<ClientTransport> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ferry-io")
            .enable_all()
            .build()?;
        let clients = clients.into_iter().map(|(k, c)| (k, Arc::new(c))).collect();
        Ok(ClientTransport {
            clients: RwLock::new(clients),
            runtime,
        })
    }

    /// The client of environment `env` (or key `ENV/PROJECT`), for the host's own calls.
    pub fn client(&self, env: &str) -> anyhow::Result<Arc<Client>> {
        self.read()
            .get(env)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("environment '{env}' is not part of this run"))
    }

    /// Makes environment `env` reachable at `scope` under `key`, for the host and the plugins
    /// alike. The new client shares the environment's connections and rate limiter: one
    /// environment, whatever the number of projects a run works in.
    pub fn add_scope(&self, env: &str, key: &str, scope: Scope) -> anyhow::Result<()> {
        let client = self.client(env)?.with_scope(scope);
        let mut clients = self.clients.write().unwrap_or_else(|p| p.into_inner());
        clients.entry(key.to_string()).or_insert(Arc::new(client));
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<Client>>> {
        self.clients.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs one of the host's own calls to completion on the transport's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl PaletteTransport for ClientTransport {
    fn send(&self, env: &str, request: &Request, time_left: Duration) -> Result<Response, String> {
        let found = self.read().get(env).cloned();
        let client = found.ok_or_else(|| {
            let known: Vec<String> = self.read().keys().cloned().collect();
            format!(
                "environment '{env}' is not part of this run (it has: {})",
                known.join(", ")
            )
        })?;
        let send = client.send_raw(
            &request.method,
            &request.path,
            &request.query,
            request.body.clone(),
        );
        // The timer is made inside the runtime, which owns the clock it runs on.
        let answer = self
            .runtime
            .block_on(async { tokio::time::timeout(time_left, send).await });
        match answer {
            Ok(Ok(raw)) => Ok(Response {
                status: raw.status,
                body: raw.body,
            }),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("no final answer in the time the plugin had left".to_owned()),
        }
    }
}
