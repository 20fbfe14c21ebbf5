//! A small HTTP load balancer for webhook replicas: every request goes to a randomly chosen
//! backend, so the updates of one chat are sprayed over all of them; a backend that refuses the
//! connection or answers 5xx (stopping, stopped) is skipped for the next one, as a real proxy's
//! health-checked pool would. The requests each backend answered are counted.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use tokio::task::JoinHandle;

struct Pool {
    /// Every backend ever added, with the requests it answered.
    backends: Mutex<Vec<(SocketAddr, usize)>>,
    http: reqwest::Client,
}

pub struct Balancer {
    addr: SocketAddr,
    pool: Arc<Pool>,
    server: JoinHandle<()>,
}

impl Balancer {
    pub async fn start() -> Balancer {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("bind the balancer");
        let addr = listener.local_addr().unwrap();
        let pool = Arc::new(Pool { backends: Mutex::new(Vec::new()), http: reqwest::Client::new() });
        let app = Router::new().fallback(forward).with_state(pool.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Balancer { addr, pool, server }
    }

    /// The balancer's URL for `path` (e.g. `/telegram`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn add_backend(&self, addr: SocketAddr) {
        self.pool.backends.lock().unwrap().push((addr, 0));
    }

    /// How many requests each backend answered with a non-5xx status, in the order added.
    pub fn answered(&self) -> Vec<(SocketAddr, usize)> {
        self.pool.backends.lock().unwrap().clone()
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn forward(State(pool): State<Arc<Pool>>, request: Request) -> Response {
    let path = request.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let method = request.method().clone();
    let headers: HeaderMap = request.headers().clone();
    let Ok(body): Result<Bytes, _> = axum::body::to_bytes(request.into_body(), 64 << 20).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let backends: Vec<SocketAddr> = pool.backends.lock().unwrap().iter().map(|(addr, _)| *addr).collect();
    if backends.is_empty() {
        return StatusCode::BAD_GATEWAY.into_response();
    }
    let first = rand::thread_rng().gen_range(0..backends.len());
    for step in 0..backends.len() {
        let index = (first + step) % backends.len();
        let mut outgoing = pool.http.request(method.clone(), format!("http://{}{path}", backends[index]));
        for (name, value) in &headers {
            if name != "host" && name != "content-length" {
                outgoing = outgoing.header(name, value);
            }
        }
        let Ok(answer) = outgoing.body(body.clone()).send().await else { continue };
        if answer.status().is_server_error() {
            continue;
        }
        pool.backends.lock().unwrap()[index].1 += 1;
        let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        let bytes = answer.bytes().await.unwrap_or_default();
        return (status, bytes).into_response();
    }
    StatusCode::BAD_GATEWAY.into_response()
}
