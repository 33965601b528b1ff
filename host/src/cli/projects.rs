//! Which projects `ferry migrate` reads and writes, over the scope stored with each environment
//! (`ferry login --project`): `--from-project P`, `--to-project P`, `--all-projects` (bulk: the
//! source's tenant scope and every project of it) and `--project-map SRC=DST`. `@tenant` names
//! tenant scope wherever a project is named.
//!
//! Where a source scope's profiles land: its `--project-map` entry, else `--to-project`, else the
//! target project of the same name when the source scope was named on the command line
//! (`--from-project`, `--all-projects`), else the target's stored scope. Every project named or
//! implied must exist on its side before anything is read: a missing one is an error up front,
//! in `--plan` too.
//!
//! A scope other than an environment's stored one is reached under the transport key
//! `ENV/PROJECT` (`ENV/@tenant`): the host's calls and the plugins' go through the same client,
//! sharing the environment's connections and rate limiter.

use std::fmt;

use super::hints::with_hint;
use super::session::Session;
use crate::config::Environment;
use crate::palette::{Project, Scope};

/// The spelling of tenant scope where a project is named.
pub const TENANT: &str = "@tenant";

/// A scope of an environment: its tenant, or one of its projects by name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    Tenant,
    Project(String),
}

impl Place {
    pub fn parse(text: &str) -> Result<Place, String> {
        match text.trim() {
            "" => Err(format!(
                "a project name is empty; name one, or {TENANT} for tenant scope"
            )),
            TENANT => Ok(Place::Tenant),
            t if t.starts_with('@') => Err(format!(
                "{t:?}: the only scope spelled with @ is {TENANT} (tenant scope); a project is named as it is"
            )),
            t => Ok(Place::Project(t.to_string())),
        }
    }

    /// The scope stored with `env`.
    pub fn stored(env: &Environment) -> Place {
        env.project
            .as_ref()
            .map_or(Place::Tenant, |p| Place::Project(p.name.clone()))
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Tenant => f.write_str(TENANT),
            Place::Project(name) => f.write_str(name),
        }
    }
}

fn parse_map(text: &str) -> Result<(Place, Place), String> {
    let (from, to) = text.split_once('=').ok_or_else(|| {
        format!(
            "--project-map {text:?}: expected SRC=DST, e.g. staging=qa ({TENANT} for tenant scope)"
        )
    })?;
    Ok((Place::parse(from)?, Place::parse(to)?))
}

#[derive(clap::Args, Clone, Debug, Default)]
pub struct ProjectArgs {
    /// Read from this project of the source, not the scope stored with it (@tenant: tenant scope).
    #[arg(long, value_name = "PROJECT", value_parser = Place::parse, conflicts_with = "all_projects")]
    pub from_project: Option<Place>,
    /// Write into this project of the target, not the scope stored with it (@tenant: tenant
    /// scope). Default: the project of the same name when the source's is named.
    #[arg(long, value_name = "PROJECT", value_parser = Place::parse)]
    pub to_project: Option<Place>,
    /// Every project of the source and its tenant scope (bulk), each into the target project of
    /// the same name (tenant into tenant) unless --project-map or --to-project says otherwise.
    #[arg(long)]
    pub all_projects: bool,
    /// Profiles of source project SRC go to target project DST (repeatable; @tenant: tenant scope).
    #[arg(long, value_name = "SRC=DST", value_parser = parse_map)]
    pub project_map: Vec<(Place, Place)>,
}

/// One source scope of a run and where its profiles go, with the transport keys of both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub from: Place,
    pub to: Place,
    pub from_key: String,
    pub to_key: String,
}

impl ProjectArgs {
    /// Whether any project was named: runs without are as before, in the stored scopes.
    pub fn any(&self) -> bool {
        self.from_project.is_some()
            || self.to_project.is_some()
            || self.all_projects
            || !self.project_map.is_empty()
    }

    /// The request as one line, the same for the same request (it keys the default journal).
    pub fn canonical(&self) -> String {
        let mut map: Vec<String> = self
            .project_map
            .iter()
            .map(|(a, b)| format!("{a}={b}"))
            .collect();
        map.sort_unstable();
        let named = |p: &Option<Place>| p.as_ref().map(Place::to_string).unwrap_or_default();
        format!(
            "from-project={};to-project={};all-projects={};map={}",
            named(&self.from_project),
            named(&self.to_project),
            self.all_projects,
            map.join(",")
        )
    }

    /// The run's routes, one per source scope (in the source's order: tenant scope, then its
    /// projects), each scope made reachable in the session's transport. Every project named or
    /// implied is checked to exist on its side first.
    pub fn routes(&self, session: &Session, from: &str, to: &str) -> anyhow::Result<Vec<Route>> {
        let environments = &session.credentials.config().environments;
        let stored = |env: &str| {
            environments
                .get(env)
                .map(Place::stored)
                .ok_or_else(|| anyhow::anyhow!("no environment named {env:?}"))
        };
        let (from_stored, to_stored) = (stored(from)?, stored(to)?);
        let mut source_projects: Option<Vec<Project>> = None;
        let sources: Vec<Place> = if self.all_projects {
            let listed = projects(session, from, &mut source_projects)?;
            std::iter::once(Place::Tenant)
                .chain(listed.iter().map(|p| Place::Project(p.name.clone())))
                .collect()
        } else {
            vec![self.from_project.clone().unwrap_or(from_stored.clone())]
        };
        for (src, _) in &self.project_map {
            if !sources.contains(src) {
                let reads: Vec<String> = sources.iter().map(Place::to_string).collect();
                return Err(with_hint(
                    anyhow::anyhow!(
                        "--project-map {src}=…: this run reads no profile from {src} in {from} (it reads {})",
                        reads.join(", ")
                    ),
                    "map a scope the run reads, or read it with --from-project or --all-projects",
                ));
            }
        }
        let follows_source = self.from_project.is_some() || self.all_projects;
        let target_of = |src: &Place| -> Place {
            self.project_map
                .iter()
                .rev()
                .find(|(s, _)| s == src)
                .map(|(_, d)| d.clone())
                .or_else(|| self.to_project.clone())
                .unwrap_or_else(|| {
                    if follows_source {
                        src.clone()
                    } else {
                        to_stored.clone()
                    }
                })
        };

        let source_uids = self.uids(
            session,
            from,
            &from_stored,
            &sources,
            &mut source_projects,
            "read from",
        )?;
        let targets: Vec<Place> = sources.iter().map(target_of).collect();
        let target_uids = self.uids(session, to, &to_stored, &targets, &mut None, "write into")?;
        let mut routes = Vec::new();
        for ((from_place, from_scope), (to_place, to_scope)) in sources
            .into_iter()
            .zip(source_uids)
            .zip(targets.into_iter().zip(target_uids))
        {
            routes.push(Route {
                from_key: reach(session, from, &from_stored, &from_place, from_scope)?,
                to_key: reach(session, to, &to_stored, &to_place, to_scope)?,
                from: from_place,
                to: to_place,
            });
        }
        Ok(routes)
    }

    /// The scope of each of `places` in `env`: an error names every project that is not there.
    fn uids(
        &self,
        session: &Session,
        env: &str,
        stored: &Place,
        places: &[Place],
        cache: &mut Option<Vec<Project>>,
        verb: &str,
    ) -> anyhow::Result<Vec<Option<Scope>>> {
        // The stored scope needs no look-up: the client has it.
        let needs_list = places
            .iter()
            .any(|p| matches!(p, Place::Project(_)) && p != stored);
        let listed = if needs_list {
            projects(session, env, cache)?
        } else {
            &[]
        };
        let mut missing: Vec<&str> = Vec::new();
        let scopes = places
            .iter()
            .map(|place| match place {
                _ if place == stored => None,
                Place::Tenant => Some(Scope::Tenant),
                Place::Project(name) => match listed.iter().find(|p| &p.name == name) {
                    Some(p) => Some(Scope::Project(p.uid.clone())),
                    None => {
                        if !missing.contains(&name.as_str()) {
                            missing.push(name);
                        }
                        None
                    }
                },
            })
            .collect();
        if !missing.is_empty() {
            let there: Vec<&str> = listed.iter().map(|p| p.name.as_str()).collect();
            return Err(with_hint(
                anyhow::anyhow!(
                    "cannot {verb} project(s) {} of {env}: there is no such project there (its projects: {})",
                    missing.join(", "),
                    if there.is_empty() {
                        "none".to_string()
                    } else {
                        there.join(", ")
                    }
                ),
                "create the project in Palette first, or name another with --project-map SRC=DST or --to-project/--from-project (names are case-sensitive)",
            ));
        }
        Ok(scopes)
    }
}

/// The projects of `env`, listed once.
fn projects<'a>(
    session: &Session,
    env: &str,
    cache: &'a mut Option<Vec<Project>>,
) -> anyhow::Result<&'a [Project]> {
    if cache.is_none() {
        let client = session.transport.client(env)?;
        *cache = Some(session.transport.block_on(client.projects())?);
    }
    Ok(cache.as_deref().unwrap_or_default())
}

/// The transport key for `place` of `env`: the environment's own name for its stored scope, else
/// `ENV/PLACE`, added to the transport with `scope`.
fn reach(
    session: &Session,
    env: &str,
    stored: &Place,
    place: &Place,
    scope: Option<Scope>,
) -> anyhow::Result<String> {
    match scope {
        Some(scope) if place != stored => {
            let key = format!("{env}/{place}");
            session.transport.add_scope(env, &key, scope)?;
            Ok(key)
        }
        _ => Ok(env.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_and_maps_parse() {
        assert_eq!(Place::parse("@tenant"), Ok(Place::Tenant));
        assert_eq!(Place::parse(" prod "), Ok(Place::Project("prod".into())));
        assert!(Place::parse("@prod").unwrap_err().contains("@tenant"));
        assert!(Place::parse("").is_err());
        assert_eq!(
            parse_map("@tenant=shared"),
            Ok((Place::Tenant, Place::Project("shared".into())))
        );
        assert!(parse_map("prod").unwrap_err().contains("SRC=DST"));
    }

    #[test]
    fn the_canonical_line_ignores_the_order_of_maps() {
        let map = |pairs: &[(&str, &str)]| ProjectArgs {
            project_map: pairs
                .iter()
                .map(|(a, b)| (Place::parse(a).unwrap(), Place::parse(b).unwrap()))
                .collect(),
            all_projects: true,
            ..ProjectArgs::default()
        };
        assert_eq!(
            map(&[("a", "b"), ("c", "d")]).canonical(),
            map(&[("c", "d"), ("a", "b")]).canonical()
        );
        assert_ne!(map(&[]).canonical(), ProjectArgs::default().canonical());
    }
}
