//! A small HTTP server on loopback that plays the attacker's side (a compromised endpoint, a
//! redirect, an endless body) and records every request it gets, for the security tests.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server answers.
pub enum Reply {
    /// Status, extra headers, body.
    Plain(u16, Vec<(String, String)>, String),
    /// 200 with a body that never ends: written until the client hangs up.
    Endless,
}

impl Reply {
    pub fn json(body: &str) -> Reply {
        Reply::Plain(
            200,
            vec![("Content-Type".into(), "application/json".into())],
            body.into(),
        )
    }

    pub fn redirect(to: &str) -> Reply {
        Reply::Plain(302, vec![("Location".into(), to.into())], String::new())
    }
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A running server: its base URL and what it has seen.
pub struct AttackServer {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl AttackServer {
    /// Serves on a free loopback port until the test process ends.
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> AttackServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let recorded = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (handler, seen) = (handler.clone(), recorded.clone());
                std::thread::spawn(move || serve(stream, &*handler, &seen));
            }
        });
        AttackServer { url, seen }
    }

    /// A fake Palette that accepts any key for `/v1/users/info` and answers every other request
    /// as `other` says.
    pub fn palette(other: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> AttackServer {
        AttackServer::start(move |req| {
            if req.path == "/v1/users/info" {
                Reply::json(r#"{"tenantUid":"t-1","userUid":"u-1","orgName":"acme"}"#)
            } else {
                other(req)
            }
        })
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, handler: &Handler, seen: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let request = Seen {
        method,
        path,
        headers,
    };
    seen.lock().unwrap().push(request.clone());
    let mut stream = stream;
    match handler(&request) {
        Reply::Plain(status, extra, body) => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (name, value) in extra {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            let _ = stream.write_all(format!("{head}\r\n{body}").as_bytes());
        }
        Reply::Endless => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            let chunk = vec![b'x'; 64 << 10];
            while stream.write_all(&chunk).is_ok() {}
        }
    }
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Write);
}
