//! What the UI benchmarks share: the release `mailtrail ui` started against the local server,
//! a timed GET with its session, and the summary of samples.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use serde_json::{json, Value};

use crate::support;

/// Median, min and max of samples.
pub fn stats(mut samples: Vec<f64>) -> Value {
    samples.sort_by(f64::total_cmp);
    json!({"median": samples[samples.len() / 2], "min": samples[0], "max": samples[samples.len() - 1], "runs": samples.len()})
}

/// A running `mailtrail ui`: its process, port and session cookie.
pub struct UiProcess {
    child: Child,
    /// The port it serves on.
    pub port: u16,
    /// `mailtrail_ui_<port>=<token>`.
    pub cookie: String,
}

impl Drop for UiProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the release `mailtrail ui` (`MAILTRAIL_CLI`) with these variables besides the local
/// server's.
pub fn start(env: &[(&str, &str)]) -> UiProcess {
    let binary = std::env::var("MAILTRAIL_CLI").unwrap_or_else(|_| "target/release/mailtrail".to_owned());
    let token_file = std::env::temp_dir().join(format!("mailtrail-bench-ui-{}.token", std::process::id()));
    let mut child = Command::new(support::root().join(&binary))
        .args(["ui", "--no-open", "--token-file"])
        .arg(&token_file)
        .env("AWS_ENDPOINT_URL_DYNAMODB", &support::dynamo().endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env_remove("MAILTRAIL_SUPPRESSIONS_TABLE")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the release mailtrail binary (make bench builds it)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().trim_start_matches("mailtrail ui: ").to_owned();
    let port: u16 = url
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let token = std::fs::read_to_string(&token_file).unwrap().trim().to_owned();
    let _ = std::fs::remove_file(&token_file);
    UiProcess {
        child,
        port,
        cookie: format!("mailtrail_ui_{port}={token}"),
    }
}

impl UiProcess {
    /// One GET with the session cookie: (status, milliseconds, bytes).
    pub fn get(&self, path: &str) -> (u16, f64, usize) {
        let started = Instant::now();
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nCookie: {}\r\nConnection: close\r\n\r\n",
            self.port, self.cookie
        )
        .unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let text = String::from_utf8_lossy(&response);
        let status = text.split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
        (status, elapsed, response.len())
    }
}
