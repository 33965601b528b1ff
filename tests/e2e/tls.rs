//! `--insecure`, for a Palette whose certificate no public CA signed (an on-premises install with a
//! self-signed or private-CA certificate): a TLS front with a fresh self-signed certificate on
//! loopback, forwarding to a real `ferry sandbox serve`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::credentials::{PASSPHRASE, run, stderr, stdout};
use crate::credentials_sandbox::Sandbox;
use crate::support::ferry;

/// Terminates TLS with a self-signed certificate and forwards the bytes to a plain-HTTP server.
struct TlsFront {
    url: String,
    /// TCP connections accepted so far.
    connections: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl TlsFront {
    fn start(backend_url: &str) -> TlsFront {
        let backend = backend_url
            .strip_prefix("http://")
            .expect("a plain-HTTP backend")
            .to_owned();
        let issued =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".into()])
                .unwrap();
        let key =
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(issued.signing_key.serialize_der()));
        let config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![issued.cert.der().clone()], key)
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let (acceptor, backend) = (acceptor.clone(), backend.clone());
                tokio::spawn(async move {
                    // A client that refuses the certificate ends the handshake: nothing to forward.
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut plain) = TcpStream::connect(&backend).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsFront {
            url,
            connections,
            _runtime: runtime,
        }
    }
}

fn login(home: &Path, endpoint: &str, key: &str, extra: &[&str]) -> std::process::Output {
    run(ferry(home)
        .args(["login", "--env", "prod", "--endpoint", endpoint])
        .args(["--api-key", key, "--project", "prod", "-k", PASSPHRASE])
        .args(extra))
}

#[test]
fn a_self_signed_endpoint_is_refused_unless_insecure_which_the_environment_keeps() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(&tmp.path().join("sandbox-data"), &[]);
    let front = TlsFront::start(&sandbox.url);
    let home = tmp.path().join("home");
    let key = sandbox.key("acme", "admin");

    // Verified by default: the certificate is refused at once (trying again would not change
    // it), the user is told about --insecure, and nothing is stored.
    let out = login(&home, &front.url, &key, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "cannot verify the TLS certificate of {}",
            front.url
        )) && err.contains("add --insecure"),
        "{err}"
    );
    assert_eq!(front.connections.load(Ordering::SeqCst), 1, "not retried");
    assert!(!home.join("config.yaml").exists(), "nothing may be stored");

    // With --insecure the same endpoint works, and the environment says it is not verified.
    let out = login(&home, &front.url, &key, &["--insecure"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let show = run(ferry(&home).args(["env", "show", "prod", "-k", PASSPHRASE]));
    let shown = stdout(&show);
    assert!(
        shown.contains(&front.url) && shown.contains("certificate not verified (--insecure)"),
        "{shown}"
    );

    // Later commands use the stored setting: they reach Palette through the same front.
    let list = run(ferry(&home).args(["profiles", "list", "-k", PASSPHRASE]));
    assert!(list.status.success(), "{}", stderr(&list));

    // Taking the setting out of the file does not make ferry verify and then send the key: the key
    // is bound to the TLS setting it was stored with, so it no longer opens and nothing is sent.
    let config = home.join("config.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("insecure: true"), "{text}");
    std::fs::write(&config, text.replace("insecure: true", "insecure: false")).unwrap();
    let before = front.connections.load(Ordering::SeqCst);
    let list = run(ferry(&home).args(["profiles", "list", "-k", PASSPHRASE]));
    assert_eq!(list.status.code(), Some(1));
    let err = stderr(&list);
    assert!(err.contains("does not open in this entry"), "{err}");
    assert_eq!(
        front.connections.load(Ordering::SeqCst),
        before,
        "nothing sent"
    );
}
