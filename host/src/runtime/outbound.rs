//! The `http` interface's requests, made with ferry's own HTTP client on a small private runtime
//! (plugin calls are synchronous; the client is async).

use std::sync::OnceLock;
use std::time::Duration;

use super::bindings::http;

const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
const BODY_CAP: usize = 16 << 20;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("start the runtime for plugin HTTP")
    })
}

pub fn send(req: http::Request) -> Result<http::Response, String> {
    runtime().block_on(async move {
        let client = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        let method =
            reqwest::Method::from_bytes(req.method.as_bytes()).map_err(|e| e.to_string())?;
        let mut builder = client.request(method, &req.url);
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let resp = builder
            .send()
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = resp
            .bytes()
            .await
            .map_err(|e| format!("reading the response failed: {e}"))?;
        if body.len() > BODY_CAP {
            return Err(format!(
                "response of {} bytes is over the {} MiB cap",
                body.len(),
                BODY_CAP >> 20
            ));
        }
        Ok(http::Response {
            status,
            headers,
            body: body.to_vec(),
        })
    })
}
