//! `okta-double [--port 0] [--token T] [--seed FILE.json]`: serves a test double of an
//! Okta org on 127.0.0.1 until killed.
//!
//! The first line on stdout is exactly `listening on http://127.0.0.1:PORT`, flushed:
//! a test in another process starts the binary with `--port 0` and reads the port from
//! it, so no port is ever picked before it is bound.

use std::io::Write;
use std::net::Ipv4Addr;
use std::process::ExitCode;

use okta_double::{OktaDouble, Seed};
use tokio::net::TcpListener;

struct Args {
    port: u16,
    token: Option<String>,
    seed: Option<String>,
}

const USAGE: &str = "usage: okta-double [--port PORT] [--token TOKEN] [--seed FILE.json]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 0,
        token: None,
        seed: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                let v = value("--port")?;
                args.port = v.parse().map_err(|_| format!("--port: not a port: {v}"))?;
            }
            "--token" => args.token = Some(value("--token")?),
            "--seed" => args.seed = Some(value("--seed")?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(args)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("okta-double: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args = parse_args()?;
    let double = match args.token {
        Some(token) => OktaDouble::with_token(token),
        None => OktaDouble::new(),
    };
    if let Some(path) = &args.seed {
        let text = std::fs::read_to_string(path).map_err(|e| format!("--seed {path}: {e}"))?;
        let seed: Seed = serde_json::from_str(&text).map_err(|e| format!("--seed {path}: {e}"))?;
        double.seed(seed);
    }
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, args.port))
        .await
        .map_err(|e| format!("cannot bind 127.0.0.1:{}: {e}", args.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let url = format!("http://{addr}");
    double.set_base_url(url.clone());
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on {url}").map_err(|e| e.to_string())?;
        stdout.flush().map_err(|e| e.to_string())?;
    }
    axum::serve(listener, double.router())
        .await
        .map_err(|e| format!("server stopped: {e}"))
}
