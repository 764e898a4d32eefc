//! Support for the cross-crate integration tests: real local servers, started on free
//! loopback ports and stopped by PID when the test ends.
//!
//! - [`MotoServer`]: `moto_server` (PyPI `moto[server]`), which speaks the real SQS and
//!   Secrets Manager wire protocols, so the AWS SDK is exercised for real.
//! - [`LambdaEmulator`]: cargo-lambda's Runtime API emulator, to run a built function
//!   binary and invoke it with the files of `events/`.
//!
//! Tools come from the project's virtualenv (`make venv`), or `$OKTA_HOOKS_VENV`.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod aws;

pub use aws::Aws;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A program of the project's virtualenv.
pub fn venv_bin(name: &str) -> PathBuf {
    let venv = std::env::var_os("OKTA_HOOKS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv"));
    let path = venv.join("bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `make venv` (or set OKTA_HOOKS_VENV)",
        path.display()
    );
    path
}

/// A built binary of this workspace (`make test` builds them first).
pub fn workspace_binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let path = target.join("debug").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` first",
        path.display()
    );
    path
}

/// Runs `okta-hooks ARGS` from the workspace root: (success, stdout + stderr).
pub fn okta_hooks(args: &[&str]) -> (bool, String) {
    okta_hooks_with_env(args, &[])
}

/// The same with only `env` added: the caller's `OKTA_*` and `AWS_*` variables are
/// removed, so a developer's own credentials never reach a test.
pub fn okta_hooks_with_env(args: &[&str], env: &[(&str, String)]) -> (bool, String) {
    let mut command = Command::new(workspace_binary("okta-hooks"));
    for (name, _) in std::env::vars() {
        if name.starts_with("OKTA_") || name.starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    let output = command
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(workspace_root())
        .output()
        .expect("okta-hooks runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The path of a real event of the Okta reference data, as an argument.
pub fn reference_event(name: &str) -> String {
    okta_fixtures::reference_dir()
        .join("events")
        .join(name)
        .display()
        .to_string()
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Waits until something accepts connections on the port.
pub fn wait_for_port(port: u16, timeout: Duration, child: &mut Child) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server on port {port} exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listened on 127.0.0.1:{port} within {timeout:?}");
}

/// A child process that is killed (by PID) and reaped when dropped.
pub struct Guarded(pub Child);

impl Drop for Guarded {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `moto_server` on a free loopback port.
pub struct MotoServer {
    pub port: u16,
    _child: Guarded,
}

impl MotoServer {
    pub fn start() -> Self {
        let port = free_port();
        let mut child = Command::new(venv_bin("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        wait_for_port(port, Duration::from_secs(60), &mut child);
        MotoServer {
            port,
            _child: Guarded(child),
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// cargo-lambda's Runtime API emulator (`cargo lambda watch --only-lambda-apis`) with one
/// function binary attached to it.
pub struct LambdaEmulator {
    pub port: u16,
    _function: Option<Guarded>,
    _emulator: Guarded,
}

impl LambdaEmulator {
    pub fn start() -> Self {
        let port = free_port();
        let mut child = Command::new(venv_bin("cargo-lambda"))
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
            ])
            // It reads the workspace's metadata; with --only-lambda-apis it builds nothing.
            .current_dir(workspace_root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cargo-lambda starts");
        wait_for_port(port, Duration::from_secs(60), &mut child);
        LambdaEmulator {
            port,
            _function: None,
            _emulator: Guarded(child),
        }
    }

    /// Runs a built function binary against this emulator with `env` added.
    pub fn attach(&mut self, binary: &Path, env: &[(&str, String)]) {
        self.attach_with_log(binary, env, None);
    }

    /// The same, writing the function's log lines (JSON, on stdout) to `log` when given.
    pub fn attach_with_log(&mut self, binary: &Path, env: &[(&str, String)], log: Option<&Path>) {
        let stdout = match log.map(std::fs::File::create) {
            Some(Ok(file)) => Stdio::from(file),
            _ => Stdio::null(),
        };
        let child = Command::new(binary)
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{}/.rt", self.port),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(stdout)
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the function binary starts");
        self._function = Some(Guarded(child));
    }

    /// `cargo lambda invoke` with a payload; returns the function's response as JSON.
    pub fn invoke(&self, payload: &str) -> serde_json::Value {
        let output = Command::new(venv_bin("cargo-lambda"))
            .args([
                "lambda",
                "invoke",
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
                &self.port.to_string(),
                "--data-ascii",
                payload,
            ])
            .current_dir(std::env::temp_dir())
            .output()
            .expect("cargo lambda invoke runs");
        assert!(
            output.status.success(),
            "invoke failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("the function answered JSON")
    }
}
