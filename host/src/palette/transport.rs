//! The `palette-api` interface of the plugin contract, carried by ferry's own client: the plugin
//! names an environment of the run, the host adds that environment's credentials and scope, and the
//! request goes through the client's retries and error handling, all within the time the plugin
//! has left. Which requests a plugin may make is checked before (`runtime::palette_access`).

use std::collections::BTreeMap;
use std::time::Duration;

use super::Client;
use crate::runtime::PaletteTransport;
use crate::runtime::bindings::palette_api::{Request, Response};

pub struct ClientTransport {
    clients: BTreeMap<String, Client>,
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
        Ok(ClientTransport { clients, runtime })
    }

    /// The client of environment `env`, for the host's own calls.
    pub fn client(&self, env: &str) -> anyhow::Result<&Client> {
        self.clients
            .get(env)
            .ok_or_else(|| anyhow::anyhow!("environment '{env}' is not part of this run"))
    }

    /// Runs one of the host's own calls to completion on the transport's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl PaletteTransport for ClientTransport {
    fn send(&self, env: &str, request: &Request, time_left: Duration) -> Result<Response, String> {
        let client = self.clients.get(env).ok_or_else(|| {
            let known: Vec<&str> = self.clients.keys().map(String::as_str).collect();
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
