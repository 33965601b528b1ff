//! The Palette client against a real sandbox server on loopback (in-process, so a test can switch its
//! faults on and off): retries under injected faults lose and duplicate nothing, lists follow
//! `continue` across pages, errors come back typed from Palette's code.

use std::collections::BTreeSet;
use std::time::Duration;

use ferry::palette::{ApiKey, Client, ClientError, ClientOptions, ErrorCode, RetryPolicy, Scope};
use ferry_sandbox::{FaultConfig, RunningSandbox, SandboxConfig};

/// A sandbox on a free loopback port; `rate_limits` off unless a test wants them.
async fn sandbox(data: &std::path::Path) -> RunningSandbox {
    let mut config = SandboxConfig::new(data);
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.rate_limits = None;
    ferry_sandbox::start(config)
        .await
        .expect("the sandbox starts")
}

fn admin_key(sandbox: &RunningSandbox) -> ApiKey {
    let tenant = sandbox.tenant("acme").unwrap();
    ApiKey::new(tenant.key(ferry_sandbox::Role::Admin).unwrap()).unwrap()
}

/// A client in project "prod" of tenant "acme" whose retries are quick (the policy's shape, not its
/// pace, is under test) and generous enough that a 30% fault rate cannot exhaust them.
fn client(sandbox: &RunningSandbox, key: ApiKey) -> Client {
    let project = sandbox
        .tenant("acme")
        .unwrap()
        .project("prod")
        .unwrap()
        .to_owned();
    let options = ClientOptions {
        retry: RetryPolicy {
            max_attempts: 16,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(5),
        },
        // No rate limit of ferry's own: the sandbox's faults, not its pace, are what is met here.
        rate_limits: None,
        ..ClientOptions::default()
    };
    Client::new(sandbox.url(), key, Scope::Project(project), &options).unwrap()
}

/// A profile document the sandbox imports: one manifest layer, no registry needed.
fn profile_doc(name: &str, values: &str) -> String {
    serde_json::json!({
        "metadata": { "name": name },
        "spec": {
            "version": "1.0.0",
            "template": { "type": "add-on", "cloudType": "all", "packs": [{
                "name": "settings", "type": "manifest", "layer": "addon", "values": values,
                "manifests": [{ "name": "settings", "content": "kind: ConfigMap\napiVersion: v1\n" }]
            }]}
        }
    })
    .to_string()
}

async fn import(client: &Client, name: &str) -> Result<String, ClientError> {
    let response = client
        .send_raw(
            "POST",
            "/v1/clusterprofiles/import",
            &[],
            Some(profile_doc(name, "a: 1\n")),
        )
        .await?;
    assert_eq!(response.status, 201, "{name}: {}", response.body);
    let uid: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    Ok(uid["uid"].as_str().unwrap().to_owned())
}

/// About 30% of requests meet a fault: 5xx errors, dropped connections, and short 429 bursts.
fn thirty_percent_faults() -> FaultConfig {
    FaultConfig {
        seed: 42,
        error_rate: 0.2,
        error_statuses: vec![500, 502, 503],
        burst_rate: 0.03,
        burst_len: 2,
        drop_rate: 0.07,
        ..FaultConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_absorb_faults_and_pagination_sees_every_profile_once() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox(tmp.path()).await;
    let client = client(&sandbox, admin_key(&sandbox));
    sandbox.set_faults(thirty_percent_faults()).unwrap();

    // 120 imports, 8 at a time, each through the retry rules for non-idempotent imports.
    let names: Vec<String> = (0..120).map(|i| format!("faulty-{i:03}")).collect();
    let semaphore = std::sync::Arc::new(tokio::sync::Semaphore::new(8));
    let mut tasks = Vec::new();
    for name in names.clone() {
        let (client, semaphore) = (client.clone(), semaphore.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = semaphore.acquire().await.unwrap();
            import(&client, &name).await.map(|uid| (name, uid))
        }));
    }
    let mut uids = BTreeSet::new();
    for task in tasks {
        let (name, uid) = task
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("an import was lost: {e}"));
        assert!(uids.insert(uid), "{name}: a uid came back twice");
    }

    // Listed under the same faults: 3 pages of 50, every profile exactly once.
    let listed = client
        .profiles()
        .await
        .expect("the list survives the faults");
    sandbox.set_faults(FaultConfig::default()).unwrap();
    let listed_names: Vec<&str> = listed.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        listed.len(),
        120,
        "no import lost, none duplicated: {listed_names:?}"
    );
    assert_eq!(
        listed_names.iter().copied().collect::<BTreeSet<_>>(),
        names.iter().map(String::as_str).collect()
    );
    assert_eq!(
        listed
            .iter()
            .map(|p| p.uid.clone())
            .collect::<BTreeSet<_>>(),
        uids
    );
    let first = &listed[0];
    assert_eq!(
        (
            first.version.as_str(),
            first.profile_type.as_str(),
            first.scope.as_str()
        ),
        ("1.0.0", "add-on", "project")
    );

    // The sandbox itself counts the same: its first raw page holds 50 and points to more.
    let page = client
        .send_raw(
            "POST",
            "/v1/dashboard/clusterprofiles",
            &[],
            Some("{}".into()),
        )
        .await
        .unwrap();
    let page: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 50);
    assert!(!page["listmeta"]["continue"].as_str().unwrap().is_empty());
    assert_eq!(page["listmeta"]["count"], 120);
    sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_import_is_not_resent_once_its_name_is_taken() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox(tmp.path()).await;
    let client = client(&sandbox, admin_key(&sandbox));
    let names: Vec<String> = (0..30).map(|i| format!("taken-{i:02}")).collect();
    for name in &names {
        import(&client, name).await.unwrap();
    }

    // Import each again under faults. An attempt that got an answer meets Palette's 409; one that
    // failed with a 5xx or a dropped connection is followed by the name check, which finds the name
    // taken: the client then reports that the import may have landed instead of sending it again.
    sandbox.set_faults(thirty_percent_faults()).unwrap();
    let (mut conflicts, mut may_have_landed) = (0, 0);
    for name in &names {
        let body = Some(profile_doc(name, "a: 1\n"));
        match client
            .send_raw("POST", "/v1/clusterprofiles/import", &[], body)
            .await
        {
            Ok(response) if response.status == 409 => conflicts += 1,
            Err(ClientError::ImportMayHaveLanded {
                name: reported,
                version,
                ..
            }) => {
                assert_eq!(
                    (reported.as_str(), version.as_str()),
                    (name.as_str(), "1.0.0")
                );
                may_have_landed += 1;
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    sandbox.set_faults(FaultConfig::default()).unwrap();
    assert!(
        may_have_landed > 0 && conflicts > 0,
        "both paths met: {conflicts} conflicts, {may_have_landed} checked"
    );
    assert_eq!(
        client.profiles().await.unwrap().len(),
        30,
        "nothing was imported twice"
    );
    sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_retry_through_faults_and_rate_limits() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = SandboxConfig::new(tmp.path());
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.faults = thirty_percent_faults();
    // Palette's real limits: 10 req/s, burst 5, answered with 429 and Retry-After.
    config.rate_limits = Some(ferry_sandbox::RateLimits::palette());
    let sandbox = ferry_sandbox::start(config).await.unwrap();
    let client = client(&sandbox, admin_key(&sandbox));
    let tenant_uid = sandbox.tenant("acme").unwrap().uid.clone();
    for _ in 0..20 {
        let info = client
            .user_info()
            .await
            .expect("users/info through faults and 429s");
        assert_eq!(info.tenant_uid, tenant_uid);
    }
    let projects = client.projects().await.unwrap();
    let names: BTreeSet<&str> = projects.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["Default", "prod", "staging"]));
    assert_eq!(
        client.resolve_project("staging").await.unwrap().uid,
        sandbox.tenant("acme").unwrap().project("staging").unwrap()
    );
    sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_typed_from_palettes_code_and_never_show_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox(tmp.path()).await;
    let key = admin_key(&sandbox);
    let client = client(&sandbox, key.clone());

    let missing = client
        .get_json::<serde_json::Value>("/v1/clusterprofiles/doesnotexist", &[])
        .await
        .unwrap_err();
    assert_eq!(
        missing.code(),
        Some(&ErrorCode::ResourceNotFound),
        "{missing}"
    );

    import(&client, "web").await.unwrap();
    let again = client
        .send_raw(
            "POST",
            "/v1/clusterprofiles/import",
            &[],
            Some(profile_doc("web", "a: 1\n")),
        )
        .await
        .unwrap();
    assert_eq!(
        again.status, 409,
        "a duplicate is Palette's answer, not a retry: {}",
        again.body
    );
    let typed = ferry_api_error(&client, Some(profile_doc("web", "a: 1\n"))).await;
    assert_eq!(
        typed.code(),
        Some(&ErrorCode::ClusterProfileAlreadyExists),
        "{typed}"
    );

    let undeclared = ferry_api_error(
        &client,
        Some(profile_doc("vars", "a: '{{.spectro.var.undeclared}}'\n")),
    )
    .await;
    assert_eq!(
        undeclared.code(),
        Some(&ErrorCode::PackVariablesUndefined),
        "{undeclared}"
    );

    let stranger = self::client(&sandbox, ApiKey::new("not-a-key").unwrap());
    let unauthorized = stranger.user_info().await.unwrap_err();
    assert_eq!(
        unauthorized.code(),
        Some(&ErrorCode::Unauthorized),
        "{unauthorized}"
    );

    let reader_key = sandbox
        .tenant("acme")
        .unwrap()
        .key(ferry_sandbox::Role::ReadOnly)
        .unwrap()
        .to_owned();
    let reader = self::client(&sandbox, ApiKey::new(reader_key.as_str()).unwrap());
    let forbidden = ferry_api_error(&reader, Some(profile_doc("nope", "a: 1\n"))).await;
    assert_eq!(forbidden.code(), Some(&ErrorCode::Forbidden), "{forbidden}");

    let bad_project = client.resolve_project("Prod").await.unwrap_err();
    assert!(
        bad_project
            .to_string()
            .contains("no project named \"Prod\""),
        "{bad_project}"
    );
    let refused = client
        .send_raw("GET", "/v1/../admin", &[], None)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, ClientError::InvalidRequest(_)),
        "{refused}"
    );

    for err in [
        missing,
        typed,
        undeclared,
        unauthorized,
        forbidden,
        bad_project,
    ] {
        assert!(
            !err.to_string().contains(key.expose()) && !format!("{err:?}").contains(key.expose())
        );
        assert!(!err.to_string().contains(&reader_key));
    }
    sandbox.shutdown().await.unwrap();
}

/// The typed error of an import, through the typed path (`post_json`) the host's own code uses.
async fn ferry_api_error(client: &Client, body: Option<String>) -> ClientError {
    match client
        .post_json::<serde_json::Value>("/v1/clusterprofiles/import", &[], body.unwrap())
        .await
    {
        Err(err) => err,
        Ok(answer) => panic!("expected an error, got {answer}"),
    }
}
