//! The `http` interface's requests, made with ferry's own HTTP client on a small private runtime
//! (plugin calls are synchronous; the client is async). A request stays within its grant:
//!
//! - every redirect hop must land on a granted origin, or the request fails;
//! - the plugin may not set `Host`, `Content-Length` or hop-by-hop headers (the connection's own);
//! - a host name must resolve to public addresses only: loopback, link-local, private and other
//!   special-purpose addresses are reachable only through a grant that names the address itself
//!   (`http:http://10.0.0.7:8200`), so a granted name cannot be pointed at ferry's own machine or
//!   network (DNS rebinding). System proxies are not used, as they would resolve names instead;
//! - the body is read up to the cap and no further, and the whole exchange gets at most the time
//!   the plugin has left.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect;

use super::bindings::http;
use super::host::origin_of;
use crate::palette::client::describe;

const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
const BODY_CAP: usize = 16 << 20;
const MAX_REDIRECTS: usize = 5;

/// Headers a plugin may not set: the client derives them from the URL and body, or they describe
/// this one connection rather than the request.
const REFUSED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

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

/// Sends `req` (whose origin the caller checked against `granted`) within `time_left`.
pub fn send(
    req: http::Request,
    granted: &[String],
    time_left: Duration,
) -> Result<http::Response, String> {
    if let Some((name, _)) = req
        .headers
        .iter()
        .find(|(name, _)| REFUSED_HEADERS.contains(&name.to_ascii_lowercase().as_str()))
    {
        return Err(format!(
            "header '{name}' is refused: ferry sets Host, Content-Length and the connection's own headers itself"
        ));
    }
    let granted = granted.to_vec();
    let client = reqwest::Client::builder()
        .timeout(time_left.min(HTTP_TIMEOUT))
        .redirect(redirect::Policy::custom(move |attempt| {
            let origin = origin_of(attempt.url().as_str()).unwrap_or_default();
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else if granted.contains(&origin) {
                attempt.follow()
            } else {
                let to = attempt.url().to_string();
                attempt.error(format!(
                    "refused a redirect to {to}: {origin} is not a granted origin"
                ))
            }
        }))
        .dns_resolver(Arc::new(PublicOnly))
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).map_err(|e| e.to_string())?;
    runtime().block_on(async move {
        let mut builder = client.request(method, &req.url);
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let mut resp = builder
            .send()
            .await
            .map_err(|e| format!("request failed: {}", describe(&e)))?;
        let too_large = |n: u64| {
            format!(
                "the response is over the {} MiB cap ({n} bytes or more); ferry stopped reading it",
                BODY_CAP >> 20
            )
        };
        if let Some(length) = resp.content_length().filter(|n| *n > BODY_CAP as u64) {
            return Err(too_large(length));
        }
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
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("reading the response failed: {}", describe(&e)))?
        {
            if body.len() + chunk.len() > BODY_CAP {
                return Err(too_large((body.len() + chunk.len()) as u64));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(http::Response {
            status,
            headers,
            body,
        })
    })
}

/// Resolves names with the system resolver and refuses any that gives a non-public address.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(addr) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(format!(
                    "{host} resolves to {}, which is not a public address; a plugin reaches loopback, link-local and private addresses only when its grant names the address itself",
                    addr.ip()
                )
                .into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Whether an address is an ordinary public one: not loopback, link-local, private (RFC 1918,
/// unique local), shared (RFC 6598), unspecified, broadcast, multicast or documentation.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            let shared = a == 100 && (64..128).contains(&b);
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || shared
                || a == 0)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_purpose_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["1.1.1.1", "93.184.216.34", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
