//! `ferry migrate` across projects, as a platform engineer moving a whole tenant runs it: every
//! project and the tenant scope at once (`--all-projects`), a project sent elsewhere
//! (`--project-map`), one project into another (`--from-project`, `--to-project`), and a target
//! project that does not exist (an error up front, in `--plan` too). Both sandboxes are seeded with
//! tenant acme's projects Default, prod and staging.

use ferry_sandbox::Role;
use serde_json::{Value, json};

use crate::sandbox_support::{Api, Sandbox, small_profile};
use crate::steps::{ferry_run, login};

/// A source with a tenant-scope profile, two in prod (one using prod's macro `zone`) and one in
/// staging.
async fn seeded_source() -> Sandbox {
    let source = Sandbox::start().await;
    let admin = source.admin();
    let prod_uid = source.project("acme", "prod");
    let prod = admin.in_project(&prod_uid);
    let staging = admin.in_project(&source.project("acme", "staging"));
    prod.post(
        &format!("/v1/projects/{prod_uid}/macros"),
        &json!({"macros": [{"name": "zone", "value": "eu-west-1a"}]}),
    )
    .await
    .expect(204);
    admin
        .import(&small_profile("shared-base", "tier: tenant\n"))
        .await;
    prod.import(&small_profile("web", "tier: prod\n")).await;
    prod.import(&small_profile(
        "db",
        "tier: prod\nzone: '{{.spectro.macro.zone}}'\n",
    ))
    .await;
    staging
        .import(&small_profile("web-canary", "tier: staging\n"))
        .await;
    source
}

/// The names of the profiles of exactly this scope (a project's list shows its tenant's too).
async fn own_names(sandbox: &Sandbox, project: Option<&str>) -> Vec<String> {
    let admin = sandbox.admin();
    let tenant = admin.profile_names().await;
    match project {
        None => tenant,
        Some(name) => admin
            .in_project(&sandbox.project("acme", name))
            .profile_names()
            .await
            .into_iter()
            .filter(|n| !tenant.contains(n))
            .collect(),
    }
}

async fn macro_names(api: &Api, path: &str) -> Vec<String> {
    let reply = api.get(path).await;
    reply.expect(200);
    reply.json()["macros"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_projects_land_in_their_namesakes_or_where_mapped() {
    let home = tempfile::tempdir().unwrap();
    let source = seeded_source().await;
    let target = Sandbox::start().await;
    login(home.path(), "src", &source, Role::Admin).await;
    login(home.path(), "dst", &target, Role::Admin).await;
    let migrate = |extra: &[&str]| {
        let args: Vec<String> = [
            "migrate",
            "--from",
            "src",
            "--to",
            "dst",
            "--all",
            "--all-projects",
            "--create-macros",
            "--rate-limit",
            "off",
        ]
        .iter()
        .chain(extra)
        .map(|a| a.to_string())
        .collect();
        let home = home.path().to_path_buf();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            ferry_run(&home, &args).await
        }
    };

    // A target project that does not exist stops the run before it reads anything, plan or not.
    for extra in [&["--plan"][..], &[]] {
        let mut args = vec!["--project-map", "staging=qa"];
        args.extend_from_slice(extra);
        let (code, out, err) = migrate(&args).await;
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            err.contains("cannot write into project(s) qa of dst: there is no such project there (its projects: Default, prod, staging)"),
            "{err}"
        );
        assert!(
            err.contains("hint: create the project in Palette first"),
            "{err}"
        );
    }
    // A map of a scope the run does not read is a mistake too.
    let (code, _, err) = migrate(&["--project-map", "nope=prod", "--plan"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("reads no profile from nope in src"), "{err}");

    // The plan: every profile with its route, and the macro prod lacks; nothing changes.
    let (code, out, err) = migrate(&["--project-map", "staging=prod", "--plan"]).await;
    assert_eq!(code, 0, "{err}");
    let row = |name: &str| {
        out.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row {name} in:\n{out}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        row("shared-base@1.0.0"),
        "shared-base@1.0.0 @tenant → @tenant create new in dst"
    );
    assert_eq!(
        row("web@1.0.0"),
        "web@1.0.0 prod → prod create new in dst/prod"
    );
    assert_eq!(
        row("web-canary@1.0.0"),
        "web-canary@1.0.0 staging → prod create new in dst/prod"
    );
    assert!(row("macro zone").starts_with("macro zone prod create in dst/prod"));
    assert!(
        err.contains("4 profile(s) src → dst: 4 to create, 1 macro(s)"),
        "{err}"
    );
    assert!(target.admin().profile_names().await.is_empty());

    let (code, out, err) = migrate(&["--project-map", "staging=prod", "--output", "json"]).await;
    assert_eq!(code, 0, "{err}");
    let summary: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["moved"], 4, "{out}");
    let routes: Vec<(String, String, String)> = summary["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["sourceProject"].as_str().unwrap().to_string(),
                p["targetProject"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        routes.contains(&("web-canary".into(), "staging".into(), "prod".into())),
        "{routes:?}"
    );

    // The journal has each profile's route: resuming it finds everything done.
    let (code, _, err) = migrate(&["--project-map", "staging=prod", "--resume"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("0 to move, 4 done before"), "{err}");

    // Where each landed, seen from the target's scopes.
    assert_eq!(own_names(&target, None).await, ["shared-base"]);
    assert_eq!(
        own_names(&target, Some("prod")).await,
        ["db", "web", "web-canary"]
    );
    assert!(own_names(&target, Some("staging")).await.is_empty());
    // prod's macro was created in the target's prod, not at tenant scope.
    let admin = target.admin();
    let prod = target.project("acme", "prod");
    let tenant = target.running.tenant("acme").unwrap().uid.clone();
    assert!(
        macro_names(&admin, &format!("/v1/projects/{prod}/macros"))
            .await
            .contains(&"zone".to_string())
    );
    assert!(
        !macro_names(&admin, &format!("/v1/tenants/{tenant}/macros"))
            .await
            .contains(&"zone".to_string())
    );

    // One profile from one project into another, in a single-profile run.
    let (code, _, err) = ferry_run(
        home.path(),
        &[
            "migrate",
            "--from",
            "src",
            "--to",
            "dst",
            "--from-project",
            "prod",
            "--to-project",
            "staging",
            "web",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("── web: src/prod → dst/staging"), "{err}");
    assert_eq!(own_names(&target, Some("staging")).await, ["web"]);
}
