//! What a command that talks to Palette starts with: the home, the unlocked credentials, and one
//! transport carrying every environment the command names (plugins and the host share it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Globals;
use crate::config::credentials::Credentials;
use crate::native;
use crate::palette::limiter::RateLimits;
use crate::palette::transport::ClientTransport;
use crate::pipeline::{Pipeline, RunSettings};
use crate::runtime::manifest::Step;
use crate::runtime::policy::Policy;

pub struct Session {
    pub home: PathBuf,
    pub credentials: Credentials,
    pub transport: Arc<ClientTransport>,
}

impl Session {
    /// Unlocks the stored credentials and opens the environments `envs`, each held to Palette's
    /// documented rate limits. `policy` is the file the command was given (`--policy`): it also
    /// governs the credential providers an environment's key may come from.
    pub fn open(
        globals: &Globals,
        policy: Option<&Path>,
        envs: &[&str],
    ) -> anyhow::Result<Session> {
        Self::open_limited(globals, policy, envs, Some(RateLimits::palette()))
    }

    /// [`Session::open`], each environment held to `limits` (`None`: no limit of ferry's own).
    pub fn open_limited(
        globals: &Globals,
        policy: Option<&Path>,
        envs: &[&str],
        limits: Option<RateLimits>,
    ) -> anyhow::Result<Session> {
        let store = globals.store()?;
        let home = store.home().to_path_buf();
        let config = store.load()?;
        for env in envs {
            config.select(Some(env))?;
        }
        let credentials = Credentials::unlock(config, globals.passphrase())?;
        let native = native::Context {
            home: &home,
            policy,
        };
        let mut clients = BTreeMap::new();
        for env in envs {
            let client = credentials.client(env, native)?.with_rate_limits(limits);
            clients.insert(env.to_string(), client);
        }
        let transport = Arc::new(ClientTransport::new(clients)?);
        Ok(Session {
            home,
            credentials,
            transport,
        })
    }

    /// The plugins of `steps`, under the policy, for a run with `settings`.
    pub fn pipeline(
        &self,
        policy: Option<&Path>,
        steps: &[Step],
        settings: RunSettings,
    ) -> anyhow::Result<Pipeline> {
        let policy = Policy::load(&self.home, policy)?;
        Pipeline::new(
            &self.home,
            policy,
            Some(self.transport.clone()),
            steps,
            settings,
        )
    }
}

/// Progress lines go to stderr, so stdout carries only the result.
pub fn say(line: &str) {
    eprintln!("{line}");
}
