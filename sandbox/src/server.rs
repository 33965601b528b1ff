//! The HTTP server: routes, the front door (faults, rate limits), startup and graceful shutdown.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::auth::{self, RunKey};
use super::errors::{ApiError, ApiResult};
use super::faults::{Fate, FaultConfig, FaultCounts, Faults};
use super::ratelimit::RateLimiter;
use super::store::{Store, meta_get};
use super::{SandboxConfig, TenantInfo, accounts, macros, packs, profiles, seed};

/// What every handler shares.
pub struct AppState {
    pub store: Store,
    pub limiter: Option<RateLimiter>,
    pub faults: Faults,
    pub run_keys: Vec<RunKey>,
    pub token_secret: Vec<u8>,
}

pub type Shared = Arc<AppState>;

/// A sandbox serving on loopback (or wherever it was told), until [`RunningSandbox::shutdown`].
pub struct RunningSandbox {
    url: String,
    addr: SocketAddr,
    tenants: Vec<TenantInfo>,
    state: Shared,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningSandbox {
    /// `http://IP:PORT`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The seeded tenants with their projects and keys (run keys included).
    pub fn tenants(&self) -> &[TenantInfo] {
        &self.tenants
    }

    /// The tenant named `name`.
    pub fn tenant(&self, name: &str) -> Option<&TenantInfo> {
        self.tenants.iter().find(|t| t.name == name)
    }

    /// Replaces the injected faults; the sequence restarts from the new seed.
    pub fn set_faults(&self, config: FaultConfig) -> anyhow::Result<()> {
        config.validate().map_err(anyhow::Error::msg)?;
        self.state.faults.set(config);
        Ok(())
    }

    /// What the fault injector did since the faults were last set.
    pub fn fault_counts(&self) -> FaultCounts {
        self.state.faults.counts()
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.stop_and_wait().await
    }

    async fn stop_and_wait(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .context("the sandbox server task failed")?
                .context("the sandbox server failed")?;
        }
        Ok(())
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        // Dropped without shutdown (a failing test): stop serving rather than leak the listener.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Opens the store, seeds it, binds the listener and serves in the background.
pub async fn start(config: SandboxConfig) -> anyhow::Result<RunningSandbox> {
    config.faults.validate().map_err(anyhow::Error::msg)?;
    let data_dir = config.data_dir.clone();
    let seed_dir = config.seed_dir.clone();
    let mirror = config.mirror.clone();
    let (store, tenants, token_secret) =
        tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let store = Store::open(&data_dir)?;
            let packs = match &seed_dir {
                Some(dir) => seed::packs_from_dir(dir)?,
                None => seed::embedded_packs()?,
            };
            seed::seed(&store, &packs, mirror.as_ref())?;
            let tenants = seed::tenants(&store, true)?;
            let secret =
                store.write_now(|tx| Ok(meta_get(tx, "token_secret")?.unwrap_or_default()))?;
            Ok((store, tenants, secret))
        })
        .await
        .context("sandbox startup task failed")??;
    let (run_keys, tenants) = resolve_run_keys(&config, tenants)?;

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let state = Arc::new(AppState {
        store,
        limiter: config.rate_limits.map(RateLimiter::new),
        faults: Faults::new(config.faults.clone()),
        run_keys,
        token_secret: token_secret.into_bytes(),
    });
    let app = router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
    });
    Ok(RunningSandbox {
        url: format!("http://{addr}"),
        addr,
        tenants,
        state,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Resolves `--api-key` keys to their tenants, and lists them with the tenant's keys.
fn resolve_run_keys(
    config: &SandboxConfig,
    mut tenants: Vec<TenantInfo>,
) -> anyhow::Result<(Vec<RunKey>, Vec<TenantInfo>)> {
    let mut keys = Vec::new();
    for extra in &config.extra_keys {
        let tenant = match &extra.tenant {
            Some(name) => tenants
                .iter_mut()
                .find(|t| &t.name == name)
                .with_context(|| {
                    format!("--api-key names tenant '{name}', which the sandbox does not have")
                })?,
            None => tenants.first_mut().context("the sandbox has no tenant")?,
        };
        tenant
            .keys
            .push(super::KeyInfo::new(extra.key.clone(), extra.role));
        keys.push(RunKey {
            key: extra.key.clone(),
            tenant_uid: tenant.uid.clone(),
            tenant_name: tenant.name.clone(),
            role: extra.role,
        });
    }
    Ok((keys, tenants))
}

fn router(state: Shared) -> Router {
    let api = Router::new()
        .route("/v1/users/info", get(accounts::user_info))
        .route(
            "/v1/dashboard/projects/metadata",
            get(accounts::projects_metadata),
        )
        .route(
            "/v1/projects/{uid}",
            get(accounts::project_get)
                .put(accounts::project_update)
                .delete(accounts::project_delete),
        )
        .route(
            "/v1/dashboard/clusterprofiles/metadata",
            get(profiles::list_metadata),
        )
        .route(
            "/v1/dashboard/clusterprofiles",
            post(profiles::list_summary),
        )
        .route("/v1/clusterprofiles", post(profiles::create))
        .route("/v1/clusterprofiles/import", post(profiles::import_json))
        .route(
            "/v1/clusterprofiles/import/file",
            post(profiles::import_file),
        )
        .route(
            "/v1/clusterprofiles/import/validate",
            post(profiles::import_validate),
        )
        .route(
            "/v1/clusterprofiles/validate/name",
            get(profiles::validate_name),
        )
        .route(
            "/v1/clusterprofiles/validate/packs",
            post(profiles::validate_packs),
        )
        .route("/v1/clusterprofiles/macros", get(macros::effective))
        .route(
            "/v1/clusterprofiles/{uid}",
            get(profiles::get_profile)
                .put(profiles::update)
                .delete(profiles::delete),
        )
        .route("/v1/clusterprofiles/{uid}/export", get(profiles::export))
        .route(
            "/v1/clusterprofiles/{uid}/publish",
            patch(profiles::publish),
        )
        .route("/v1/clusterprofiles/{uid}/clone", post(profiles::clone))
        .route(
            "/v1/clusterprofiles/{uid}/clone/validate",
            post(profiles::clone_validate),
        )
        .route(
            "/v1/clusterprofiles/{uid}/validate/packs",
            post(profiles::validate_profile_packs),
        )
        .route(
            "/v1/clusterprofiles/{uid}/variables",
            get(profiles::variables_get)
                .put(profiles::variables_put)
                .patch(profiles::variables_patch)
                .delete(profiles::variables_delete),
        )
        .route("/v1/registries/metadata", get(packs::registries_metadata))
        .route(
            "/v1/registries/pack",
            get(packs::pack_registries).post(packs::create_pack_registry),
        )
        .route(
            "/v1/registries/pack/summary",
            get(packs::pack_registries_summary),
        )
        .route(
            "/v1/registries/helm",
            get(packs::helm_registries).post(packs::create_helm_registry),
        )
        .route(
            "/v1/registries/helm/summary",
            get(packs::helm_registries_summary),
        )
        .route("/v1/registries/oci/summary", get(packs::oci_registries))
        .route("/v1/packs", get(packs::list_packs))
        .route("/v1/packs/search", post(packs::search_packs))
        .route("/v1/packs/{uid}", get(packs::pack_by_uid))
        .route(
            "/v1/packs/{name}/registries/{registry_uid}",
            get(packs::pack_in_registry),
        )
        .route(
            "/v1/projects/{uid}/macros",
            get(macros::project_list)
                .post(macros::project_add)
                .put(macros::project_replace)
                .patch(macros::project_update)
                .delete(macros::project_delete),
        )
        .route(
            "/v1/tenants/{uid}/macros",
            get(macros::tenant_list)
                .post(macros::tenant_add)
                .put(macros::tenant_replace)
                .patch(macros::tenant_update)
                .delete(macros::tenant_delete),
        )
        .route(
            "/v1/users/system/macros",
            get(macros::system_list)
                .post(macros::system_add)
                .put(macros::system_replace)
                .patch(macros::system_update)
                .delete(macros::system_delete),
        )
        .route_layer(from_fn_with_state(state.clone(), auth::require_caller));
    Router::new()
        .route("/v1/auth/authenticate", post(auth::authenticate))
        .merge(api)
        .fallback(|req: Request| async move {
            ApiError::not_found(format!("path {} {}", req.method(), req.uri().path()))
        })
        .method_not_allowed_fallback(|req: Request| async move {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                format!("{} is not allowed on {}", req.method(), req.uri().path()),
            )
        })
        .layer(from_fn_with_state(state.clone(), front_door))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// The largest request body accepted: a profile with CRDs in its manifests runs to megabytes
/// (axum's default, 2 MiB, would refuse them).
const BODY_LIMIT: usize = 64 << 20;

/// Faults first (they model the network and the load balancer), then the rate limiter.
async fn front_door(
    State(state): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    if req.uri().path().starts_with("/v1/") {
        let (latency, fate) = state.faults.next();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        match fate {
            Fate::Pass => {}
            Fate::Fail(kind) => return kind.error().into_response(),
            Fate::Drop => return dropped_connection(),
            Fate::Lose => {}
        }
        if let Some(limiter) = &state.limiter
            && let Err(retry_after) = limiter.check(peer.ip(), req.uri().path())
        {
            return ApiError::too_many_requests(retry_after).into_response();
        }
        if fate == Fate::Lose {
            // Whatever the request changed stays changed; only its answer is lost.
            let _handled = next.run(req).await;
            return dropped_connection();
        }
    }
    next.run(req).await
}

/// A response whose body fails at once: hyper aborts the connection, the client sees a transport error.
fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection dropped by fault injection",
        ))
    });
    Response::new(Body::from_stream(failing))
}

/// Query parameters; a malformed query string is Palette's 400.
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Query(map)| Params(map))
            .map_err(|err| ApiError::bad_request(format!("malformed query string: {err}")))
    }
}

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A boolean parameter (`true`/`false`), `default` when absent.
    pub fn flag(&self, name: &str, default: bool) -> ApiResult<bool> {
        match self.get(name) {
            None | Some("") => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(ApiError::bad_request(format!(
                "{name}={other}: expected true or false"
            ))),
        }
    }

    /// The paging parameters (`limit`, `offset`, `continue`).
    pub fn page(&self) -> ApiResult<super::paging::PageQuery> {
        let number = |name: &str| -> ApiResult<Option<i64>> {
            self.get(name)
                .filter(|v| !v.is_empty())
                .map(|v| {
                    v.parse().map_err(|_| {
                        ApiError::bad_request(format!("{name}={v}: expected a number"))
                    })
                })
                .transpose()
        };
        Ok(super::paging::PageQuery {
            limit: number("limit")?,
            offset: number("offset")?,
            continue_token: self.get("continue").map(str::to_string),
        })
    }
}
