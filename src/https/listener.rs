//! TLS over TCP, HTTP/1.1 over TLS: the accept loops of the front end's
//! listeners and the conversion between hyper's requests and replies and
//! the front end's. Nothing but TLS is spoken: a plain-HTTP client gets no
//! HTTP answer, only the end of the connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio_rustls::TlsAcceptor;
use zeroize::Zeroizing;

use super::front_end::{FrontEnd, Reply, Request};

/// How long a client may take for its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// What every connection of the listeners shares.
pub struct Shared {
    pub front: Arc<FrontEnd>,
    pub acceptor: TlsAcceptor,
    pub connections: Arc<Semaphore>,
    pub max_body: usize,
}

/// Accepts connections on `listener` until `stop` turns true.
pub async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|s| *s) => return,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors and the like: pause rather than spin.
                tracing::warn!(error = %e, "cannot accept an HTTPS connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = shared.connections.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "too many HTTPS connections; closing a new one");
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            serve_connection(tcp, peer, shared).await;
            drop(permit);
        });
    }
}

async fn serve_connection(tcp: tokio::net::TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, shared.acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
    };
    let service = hyper::service::service_fn(move |request| {
        let shared = shared.clone();
        async move { Ok::<_, std::convert::Infallible>(respond(&shared, peer, request).await) }
    });
    let served = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(tls), service)
        .await;
    if let Err(e) = served {
        tracing::debug!(%peer, error = %e, "HTTPS connection ended");
    }
}

async fn respond(
    shared: &Shared,
    peer: SocketAddr,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, shared.max_body).collect().await {
        Ok(collected) => Zeroizing::new(collected.to_bytes().to_vec()),
        Err(_) => {
            return to_response(Reply {
                status: 413,
                body: serde_json::json!({"status": 0, "errors": ["The request is too large."]}),
                set_cookie: None,
                retry_after: None,
            })
        }
    };
    let header = |name: header::HeaderName| parts.headers.get(name).map(|v| v.as_bytes().to_vec());
    let form_body = parts.headers.get(header::CONTENT_TYPE).is_none_or(|v| {
        v.to_str().is_ok_and(|t| {
            t.split(';').next().is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        })
    });
    let request = Request {
        post: parts.method == Method::POST,
        other_method: parts.method != Method::POST && parts.method != Method::GET,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        authorization: header(header::AUTHORIZATION),
        cookie: super::credentials::session_cookie(
            parts
                .headers
                .get_all(header::COOKIE)
                .iter()
                .map(HeaderValue::as_bytes),
        ),
        form_body,
        body,
        source: peer.ip(),
    };
    to_response(shared.front.answer(request).await)
}

fn to_response(reply: Reply) -> hyper::Response<Full<Bytes>> {
    let mut text = reply.body.to_string();
    text.push('\n');
    let mut response = hyper::Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if reply.status == 401 {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"liveapid\""),
        );
    }
    if let Some(seconds) = reply.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if let Some(cookie) = reply.set_cookie {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.insert(header::SET_COOKIE, value);
        }
    }
    response
}
