//! Support for the cross-crate integration tests: real local servers on loopback ports
//! that nobody else can take (the server binds port 0 and reports it, or its own PID is
//! seen holding the socket), ready once they have answered a request, and stopped by PID
//! when the test ends.
//!
//! - [`MotoServer`]: `moto_server` (the Python package `moto[server]`), which speaks the real SQS and
//!   Secrets Manager wire protocols, so the AWS SDK is exercised for real.
//! - [`LambdaEmulator`]: cargo-lambda's Runtime API emulator, to run a built function
//!   binary and invoke it with the files of `events/`.
//!
//! Tools come from the project's virtualenv (`make venv`), or `$OKTA_HOOKS_VENV`.

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

pub mod aws;
pub mod executor_binary;
pub mod mixed_org;
pub mod pipeline;
pub mod slack;
pub mod stack;

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

/// What a run of the binary left: exit code, stdout, stderr.
pub struct Ran {
    /// The exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
}

impl Ran {
    /// Stdout then stderr, for failure messages.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// `okta-hooks ARGS` with only `env` added (the caller's `OKTA_*`, `AWS_*` and `USER`
/// removed), to be run on tokio so that servers of the test keep answering meanwhile;
/// stdout and stderr piped, killed when dropped.
pub fn okta_hooks_command(args: &[&str], env: &[(&str, String)]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(workspace_binary("okta-hooks"));
    for (name, _) in std::env::vars() {
        if name.starts_with("OKTA_") || name.starts_with("AWS_") || name == "USER" {
            command.env_remove(name);
        }
    }
    command
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// [`okta_hooks_command`], run to its end.
pub async fn okta_hooks_async(args: &[&str], env: &[(&str, String)]) -> Ran {
    let output = okta_hooks_command(args, env)
        .output()
        .await
        .expect("okta-hooks runs");
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
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

/// A loopback port nobody listened on a moment ago.
///
/// Racy by nature: the port is released before the caller uses it, so another process may
/// take it in between. Never start a server on it (use a server that binds port 0 and
/// reports its port, as [`MotoServer`] does); for "a port that refuses connections" use
/// [`RefusingPort`], which holds the port.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Waits until something accepts connections on the port.
///
/// This does not prove that *your* server is the one listening: prefer a port the server
/// reported itself ([`ChildLines::wait_for`]) and [`wait_until_answers`].
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

pub use okta_fixtures::RefusingPort;

/// The lines a child process writes to one of its pipes, read on a thread that drains the
/// pipe until the child closes it (so a chatty child never blocks on a full pipe, even
/// after this value is dropped).
pub struct ChildLines {
    lines: mpsc::Receiver<String>,
    seen: RefCell<Vec<String>>,
}

impl ChildLines {
    /// Starts draining `pipe` (a child's stdout or stderr) on its own thread; lines are
    /// read with [`ChildLines::next_match`] / [`ChildLines::wait_for`], and the last 40
    /// seen are kept for a panic message.
    pub fn read(pipe: impl Read + Send + 'static) -> Self {
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(pipe);
            let mut line = Vec::new();
            loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                        // The receiver may be gone: keep draining regardless.
                        let _ = tx.send(text);
                    }
                }
            }
        });
        ChildLines {
            lines,
            seen: RefCell::new(Vec::new()),
        }
    }

    /// The first line `pick` maps to a value, skipping others; `None` when the child
    /// closes the pipe (it exited) or `timeout` passes first.
    pub fn next_match<T>(
        &self,
        timeout: Duration,
        mut pick: impl FnMut(&str) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).ok()?;
            let found = pick(&line);
            let mut seen = self.seen.borrow_mut();
            seen.push(line);
            if seen.len() > 40 {
                seen.remove(0);
            }
            if found.is_some() {
                return found;
            }
        }
    }

    /// The same, panicking with `what` and the child's last lines when nothing matches.
    pub fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        pick: impl FnMut(&str) -> Option<T>,
    ) -> T {
        match self.next_match(timeout, pick) {
            Some(found) => found,
            None => panic!(
                "no {what} within {timeout:?}; the child's last lines:\n{}",
                self.seen.borrow().join("\n")
            ),
        }
    }
}

/// The port in `line` right after `prefix` (`"http://127.0.0.1:"` in
/// `" * Running on http://127.0.0.1:40123"`).
pub fn port_after(line: &str, prefix: &str) -> Option<u16> {
    let rest = &line[line.find(prefix)? + prefix.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The status code of one plain HTTP/1.1 `GET path` to the loopback port.
pub fn http_status(port: u16, path: &str) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut status_line = String::new();
    BufReader::new(stream).read_line(&mut status_line)?;
    status_line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not an HTTP status line: {status_line:?}"),
            )
        })
}

/// Waits until the server on `port` answers `GET path` with an HTTP status (any status:
/// the point is that a server, not just a socket, is there), and returns it. Call it with
/// a port the child owns (it reported the port, or [`listens_on`] said so), so the answer
/// is the child's. Panics if the child exits first.
pub fn wait_until_answers(port: u16, path: &str, timeout: Duration, child: &mut Child) -> u16 {
    let start = Instant::now();
    loop {
        let error = match http_status(port, path) {
            Ok(status) => return status,
            Err(error) => error,
        };
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server on port {port} exited ({status}) before answering: {error}");
        }
        assert!(
            start.elapsed() < timeout,
            "127.0.0.1:{port} did not answer GET {path} within {timeout:?}: {error}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether the process `pid` holds the socket listening on loopback `port`: Linux's
/// `/proc/net/tcp` inode against the process's descriptors, else `lsof`.
pub fn listens_on(pid: u32, port: u16) -> bool {
    match std::fs::read_to_string("/proc/net/tcp") {
        Ok(table) => {
            let wanted = format!(":{port:04X}");
            let inodes: Vec<String> = table
                .lines()
                .skip(1)
                .filter_map(|row| {
                    let fields: Vec<&str> = row.split_whitespace().collect();
                    // local_address, state (0A = LISTEN), inode
                    let listening = fields.get(1)?.ends_with(&wanted) && *fields.get(3)? == "0A";
                    let inode = fields.get(9)?;
                    listening.then(|| format!("socket:[{inode}]"))
                })
                .collect();
            if inodes.is_empty() {
                return false;
            }
            let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
                return false;
            };
            fds.filter_map(Result::ok)
                .filter_map(|fd| std::fs::read_link(fd.path()).ok())
                .any(|target| inodes.iter().any(|i| target.as_os_str() == i.as_str()))
        }
        Err(_) => {
            let output = Command::new("lsof")
                .args(["-nP", "-a", "-t", "-sTCP:LISTEN"])
                .arg(format!("-p{pid}"))
                .arg(format!("-iTCP:{port}"))
                .output()
                .expect("lsof runs (no /proc/net/tcp here to tell who listens on a port)");
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .any(|line| line.trim() == pid.to_string())
        }
    }
}

/// A child process that is killed (by PID) and reaped when dropped.
pub struct Guarded(pub Child);

impl Drop for Guarded {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `moto_server` on a loopback port it chose itself (`-p 0`): the port is the one the
/// server reports after binding, so no other process can hold it, and the server is ready
/// once it has answered a request.
pub struct MotoServer {
    /// The port the server reported after binding it on 127.0.0.1.
    pub port: u16,
    _child: Guarded,
}

impl MotoServer {
    /// Starts `moto_server` from the virtualenv and returns once it has answered a request;
    /// panics (with its last lines of output) if it does not within a minute. Stopped when
    /// the value is dropped.
    pub fn start() -> Self {
        let mut child = Command::new(venv_bin("moto_server"))
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("moto_server starts");
        let stderr = child.stderr.take().expect("moto_server's stderr");
        let mut child = Guarded(child);
        // werkzeug logs ` * Running on http://127.0.0.1:PORT` once the socket listens.
        let port = ChildLines::read(stderr).wait_for(
            "\"Running on\" line from moto_server",
            Duration::from_secs(60),
            |line| port_after(line, "Running on http://127.0.0.1:"),
        );
        let status = wait_until_answers(
            port,
            "/moto-api/data.json",
            Duration::from_secs(60),
            &mut child.0,
        );
        assert_eq!(status, 200, "moto_server on port {port} answered {status}");
        MotoServer {
            port,
            _child: child,
        }
    }

    /// The base URL to point AWS SDK clients at (`AWS_ENDPOINT_URL` for a function binary).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// cargo-lambda's Runtime API emulator (`cargo lambda watch --only-lambda-apis`) with one
/// function binary attached to it.
pub struct LambdaEmulator {
    /// The port the emulator listens on (127.0.0.1), held by its own process.
    pub port: u16,
    /// The attached function (behind a lock so that `invoke(&self)` can see it exit).
    function: Mutex<Option<Guarded>>,
    _emulator: Guarded,
}

impl LambdaEmulator {
    /// Starts the emulator on a port it holds.
    ///
    /// cargo-lambda cannot bind port 0 (it reads 0 as "unset" and takes 9000), so the port
    /// is chosen here; if another process takes it first the emulator exits and this tries
    /// another. Ready means the emulator's own process holds the listening socket (checked
    /// by PID, so an emulator of another test run on the same port is never mistaken for
    /// this one) and it has answered a request.
    pub fn start() -> Self {
        Self::start_on_ports(free_port)
    }

    /// The same, trying the ports `pick` gives (for a test of the retry).
    pub fn start_on_ports(mut pick: impl FnMut() -> u16) -> Self {
        const ATTEMPTS: usize = 5;
        for attempt in 1..=ATTEMPTS {
            let port = pick();
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
                .stderr(Stdio::piped())
                .spawn()
                .expect("cargo-lambda starts");
            let lines = ChildLines::read(child.stderr.take().expect("cargo-lambda's stderr"));
            let mut child = Guarded(child);
            let pid = child.0.id();
            let start = Instant::now();
            let timeout = Duration::from_secs(120);
            let outcome = loop {
                if listens_on(pid, port) {
                    break Ok(());
                }
                if let Ok(Some(status)) = child.0.try_wait() {
                    break Err(status);
                }
                assert!(
                    start.elapsed() < timeout,
                    "cargo-lambda did not listen on 127.0.0.1:{port} within {timeout:?}"
                );
                std::thread::sleep(Duration::from_millis(50));
            };
            match outcome {
                Ok(()) => {
                    // A route that exists for POST only: 405 at once, no function involved
                    // (the fallback route would invoke one and wait).
                    let status = wait_until_answers(
                        port,
                        "/2015-03-31/functions/_/invocations",
                        Duration::from_secs(30),
                        &mut child.0,
                    );
                    assert_eq!(status, 405, "cargo-lambda on port {port} answered {status}");
                    return LambdaEmulator {
                        port,
                        function: Mutex::new(None),
                        _emulator: child,
                    };
                }
                Err(status) => {
                    // The output ended with the process: its last lines say why.
                    let _ = lines.next_match(Duration::from_secs(1), |_| None::<()>);
                    eprintln!(
                        "cargo-lambda on port {port} exited ({status}), attempt {attempt} of {ATTEMPTS}:\n{}",
                        lines.seen.borrow().join("\n")
                    );
                }
            }
        }
        panic!("cargo-lambda exited before listening, {ATTEMPTS} times (see above)");
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
        *self
            .function
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Guarded(child));
    }

    /// `cargo lambda invoke` with a payload; returns the function's response as JSON.
    ///
    /// Panics (instead of waiting for ever) when the attached function exits before the
    /// invocation is answered, e.g. on a configuration error at start-up.
    pub fn invoke(&self, payload: &str) -> serde_json::Value {
        let mut invoke = Command::new(venv_bin("cargo-lambda"))
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
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cargo lambda invoke runs");
        let read_all = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let stdout = read_all(
            invoke
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let stderr = read_all(
            invoke
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let status = loop {
            if let Some(status) = invoke.try_wait().expect("cargo lambda invoke is waited on") {
                break status;
            }
            let mut function = self
                .function
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(Ok(Some(exit))) = function.as_mut().map(|f| f.0.try_wait()) {
                let _ = invoke.kill();
                let _ = invoke.wait();
                panic!("the function exited ({exit}) before answering the invocation");
            }
            drop(function);
            std::thread::sleep(Duration::from_millis(50));
        };
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        assert!(
            status.success(),
            "invoke failed: {}",
            String::from_utf8_lossy(&stderr)
        );
        serde_json::from_slice(&stdout).expect("the function answered JSON")
    }
}

/// Midnight (UTC) `days` days before today, as RFC 3339 (`2026-11-20T00:00:00Z`): windows
/// relative to now, for commands that judge a window's age.
pub fn utc_midnight_days_ago(days: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs();
    let day =
        i64::try_from(now / 86_400).expect("a day number") - i64::try_from(days).expect("days");
    let (year, month, date) = civil_from_days(day);
    format!("{year:04}-{month:02}-{date:02}T00:00:00Z")
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01), after Howard
/// Hinnant's `civil_from_days`.
fn civil_from_days(day: i64) -> (i64, i64, i64) {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let date = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_become_calendar_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_787), (2026, 11, 30));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn a_reported_port_is_read_after_its_prefix() {
        assert_eq!(
            port_after(" * Running on http://127.0.0.1:40123", "http://127.0.0.1:"),
            Some(40123)
        );
        assert_eq!(
            port_after(
                "okta-hooks dev: listening on http://127.0.0.1:8787 (embedded queue)",
                "listening on http://127.0.0.1:"
            ),
            Some(8787)
        );
        assert_eq!(port_after("starting", "http://127.0.0.1:"), None);
    }
}
