//! Palette's list paging: at most 50 items a page, `listmeta{continue,count,limit,offset}`, and an opaque
//! `continue` token for the next page (empty on the last one).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};

use super::errors::{ApiError, ApiResult};

pub const MAX_PAGE: usize = 50;

/// The paging parameters of a list request.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    #[serde(rename = "continue")]
    pub continue_token: Option<String>,
}

impl PageQuery {
    /// Cuts one page out of `items` and builds its `listmeta`.
    pub fn page<T>(&self, mut items: Vec<T>) -> ApiResult<(Vec<T>, Value)> {
        let limit = match self.limit {
            Some(n) if n < 0 => return Err(ApiError::bad_request("limit must not be negative")),
            Some(0) | None => MAX_PAGE,
            Some(n) => (n as usize).min(MAX_PAGE),
        };
        let offset = match self.continue_token.as_deref().filter(|t| !t.is_empty()) {
            Some(token) => decode(token)?,
            None => match self.offset {
                Some(n) if n < 0 => {
                    return Err(ApiError::bad_request("offset must not be negative"));
                }
                Some(n) => n as usize,
                None => 0,
            },
        };
        let count = items.len();
        let start = offset.min(count);
        let end = (start + limit).min(count);
        items.truncate(end);
        let page: Vec<T> = items.drain(start..).collect();
        let next = if end < count {
            encode(end)
        } else {
            String::new()
        };
        let meta = json!({ "continue": next, "count": count, "limit": limit, "offset": end });
        Ok((page, meta))
    }
}

fn encode(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn decode(token: &str) -> ApiResult<usize> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("offset:")?.parse().ok())
        .ok_or_else(|| ApiError::bad_request(format!("the continue token '{token}' is not valid")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_with_tokens() {
        let q = PageQuery::default();
        let (page, meta) = q.page((0..120).collect::<Vec<_>>()).unwrap();
        assert_eq!(page.len(), 50);
        assert_eq!(meta["count"], 120);
        let q = PageQuery {
            continue_token: meta["continue"].as_str().map(str::to_string),
            ..q
        };
        let (page, meta) = q.page((0..120).collect::<Vec<_>>()).unwrap();
        assert_eq!(page[0], 50);
        let q = PageQuery {
            continue_token: meta["continue"].as_str().map(str::to_string),
            ..q
        };
        let (page, meta) = q.page((0..120).collect::<Vec<_>>()).unwrap();
        assert_eq!((page.len(), meta["continue"].as_str()), (20, Some("")));
        assert!(
            PageQuery {
                continue_token: Some("junk".into()),
                ..Default::default()
            }
            .page(vec![1])
            .is_err()
        );
    }
}
