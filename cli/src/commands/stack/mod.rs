//! `okta-hooks stack up`: `infra/template.yaml` deployed into a local AWS emulator and run
//! there, every function as its built binary, until Ctrl-C.
//!
//! ```sh
//! okta-hooks stack up [--stack-name okta-hooks] [--endpoint http://127.0.0.1:5000]
//!                     [--parameter VisibilityTimeout=5 ...] [--secret-file F]
//!                     [--okta-domain URL] [--rules DIR] [--exit-after-deploy]
//! ```
//!
//! 1. Deploy: `scripts/stack_deploy.py` in the workspace's `.venv` (samtranslator
//!    transforms the SAM template as `sam validate` does, the `CodeUri` becomes an artifact
//!    in the emulator's S3 as `sam package` makes it, the emulator's `CloudFormation`
//!    creates the stack, and what it skips is created or stood in for). It reports what
//!    `CloudFormation` resolved for each function: environment, role, routes, schedules,
//!    event source mappings.
//! 2. Secrets: the org's secrets go into the emulator's Secrets Manager ([`org_secrets`]);
//!    without `--okta-domain` or an Okta credential in `--secret-file` the Okta org is an
//!    embedded Okta double (`okta_double`) on loopback.
//! 3. Run ([`serve`]): each function behind a Lambda Runtime API of ours ([`runtime`]), its
//!    AWS calls through a proxy that checks them against its role ([`aws_proxy`]); the SQS
//!    event source mappings pumped as Lambda does ([`pump`]); the template's HTTP API routes
//!    on the hook URL's loopback port ([`http_api`]); `rate(…)` schedules on time.
//!
//! Without `--endpoint` it starts `moto_server` itself on 127.0.0.1 (port chosen by the
//! server, read from its output), and stops it (by its PID) on Ctrl-C. A state file records
//! the emulator endpoint, the stack name, its outputs, the control API and the log
//! directory, so other commands and the tests find the stack; it is removed when the stack
//! stops.

use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

pub mod aws_proxy;
pub mod http_api;
pub mod org_secrets;
pub mod pump;
pub mod runtime;
pub mod serve;

/// The longest stack name usable as the queues' name prefix: SQS allows 80 characters and
/// the longest suffix is `-credentials-dlq.fifo` (the template's `QueueNamePrefix`).
const LONGEST_QUEUE_PREFIX: usize = 59;
/// How long `moto_server` may take to say where it listens.
const EMULATOR_START: Duration = Duration::from_secs(60);

#[derive(clap::Subcommand)]
pub enum StackCommand {
    /// Deploy infra/template.yaml into a local AWS emulator and run every function of it
    /// until Ctrl-C.
    Up(UpArgs),
}

#[derive(clap::Args)]
pub struct UpArgs {
    /// The `CloudFormation` stack name (queues are named `<stack-name>-events.fifo`, ...).
    #[arg(long, default_value = "okta-hooks")]
    stack_name: String,
    /// An AWS emulator already running (`moto_server`). Default: start `moto_server` on
    /// 127.0.0.1 and stop it on Ctrl-C.
    #[arg(long)]
    endpoint: Option<String>,
    /// A template parameter, e.g. `VisibilityTimeout=5`, `MaxReceiveCount=3`,
    /// `PollSchedule="rate(1 minute)"` (repeatable).
    #[arg(long = "parameter", value_name = "KEY=VALUE")]
    parameters: Vec<String>,
    /// Where to write the state file. Default: target/okta-hooks-stack/<stack-name>.json
    /// under the workspace.
    #[arg(long)]
    state_file: Option<PathBuf>,
    /// The workspace (`infra/template.yaml`, `scripts/stack_deploy.py`, `.venv`). Default: the
    /// current directory or the nearest parent holding infra/template.yaml.
    #[arg(long)]
    workspace: Option<PathBuf>,
    /// Deploy, print, write the state file and exit without running the functions (needs
    /// --endpoint: the emulator stays up).
    #[arg(long, requires = "endpoint")]
    exit_after_deploy: bool,
    /// The org secret, either shape (a JSON file as `okta-hooks dev` takes it), put into
    /// the emulator's Secrets Manager. Default: a generated hook value and plan keys, and
    /// the embedded Okta double's credential.
    #[arg(long)]
    secret_file: Option<PathBuf>,
    /// Point every Okta credential of the secrets at this org (`acme.okta.com` or a URL):
    /// the stack then acts on it. Needs an Okta credential in --secret-file.
    #[arg(long, requires = "secret_file")]
    okta_domain: Option<String>,
    /// Seed the embedded Okta double (users, groups, memberships: its `Seed` JSON).
    /// Default: events/local-org.json (the users of the sample deliveries in events/).
    #[arg(long, conflicts_with = "okta_domain")]
    okta_seed: Option<PathBuf>,
    /// The rules directory the functions load (`OKTA_HOOKS_RULES_DIR`). Default: the
    /// rules compiled into the binaries.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Where the function binaries are. Default: <workspace>/target/debug.
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Print only the summary and failures, not a line per request, batch and log line.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("{0}")]
    Usage(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("moto_server: {0}")]
    Emulator(String),
    #[error("deploying the stack failed (scripts/stack_deploy.py): {0}")]
    Deploy(String),
    #[error("the org secrets: {0}")]
    Secrets(String),
    #[error("running the stack: {0}")]
    Serve(#[from] serve::ServeError),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StackError {
    let what = what.into();
    move |source| StackError::Io { what, source }
}

/// Runs `okta-hooks stack <command>`.
///
/// # Errors
/// A usage error, an emulator that does not start, or a deployment that fails.
pub async fn run(command: StackCommand) -> Result<(), StackError> {
    match command {
        StackCommand::Up(args) => up(args).await,
    }
}

async fn up(args: UpArgs) -> Result<(), StackError> {
    let workspace = match &args.workspace {
        Some(dir) => dir.clone(),
        None => find_workspace()?,
    };
    check_stack_name(&args.stack_name, &args.parameters)?;
    let venv = workspace.join(".venv/bin");

    // The emulator: given, or ours (stopped by PID when `_emulator` drops).
    let (endpoint, emulator) = match &args.endpoint {
        Some(endpoint) => (endpoint.trim_end_matches('/').to_owned(), None),
        None => {
            let emulator = Emulator::start(&venv.join("moto_server"))?;
            (emulator.endpoint(), Some(emulator))
        }
    };

    // The placeholder behind the hook URL, on a loopback port it holds from now on.
    let placeholder = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(io("binding the hook URL's loopback port"))?;
    let hook_port = placeholder
        .local_addr()
        .map_err(io("the hook URL's loopback port"))?
        .port();
    let hook_base = format!("http://127.0.0.1:{hook_port}");

    let deployed = deploy(&workspace, &args, &endpoint, &hook_base).await?;
    let state_file = args.state_file.clone().unwrap_or_else(|| {
        workspace
            .join("target/okta-hooks-stack")
            .join(format!("{}.json", args.stack_name))
    });
    if args.exit_after_deploy {
        write_state(&state_file, &deployed, &hook_base, &json!({}))?;
        print_summary(&deployed, &state_file);
        return Ok(());
    }

    let specs: Vec<runtime::FunctionSpec> =
        serde_json::from_value(deployed["runtime"]["functions"].clone())
            .map_err(|e| StackError::Deploy(format!("its runtime section: {e}")))?;
    let region = text(&deployed["region"]);
    let account = deployed["runtime"]["account"]
        .as_str()
        .unwrap_or("123456789012")
        .to_owned();

    // The Okta org: given (--okta-domain or the file's credential), or the embedded double.
    let from_file = match &args.secret_file {
        Some(file) => Some(
            crate::secret_file::read_secret_file(file)
                .map_err(|e| StackError::Secrets(e.to_string()))?,
        ),
        None => None,
    };
    let file_has_okta = from_file
        .as_ref()
        .is_some_and(|stored| stored.iter().any(|(kind, _)| kind.is_okta_credential()));
    let double = if args.okta_domain.is_none() && !file_has_okta {
        let double = okta_double::OktaDouble::new();
        let default_seed = workspace.join("events/local-org.json");
        let seed = args
            .okta_seed
            .clone()
            .or_else(|| default_seed.is_file().then_some(default_seed));
        if let Some(seed) = &seed {
            let text = std::fs::read_to_string(seed)
                .map_err(io(format!("reading --okta-seed {}", seed.display())))?;
            let seed: okta_double::Seed = serde_json::from_str(&text)
                .map_err(|e| StackError::Usage(format!("--okta-seed {}: {e}", seed.display())))?;
            double.seed(seed);
        }
        Some(
            double
                .serve()
                .await
                .map_err(io("serving the embedded Okta double"))?,
        )
    } else {
        None
    };
    let control = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(io("binding the control API's loopback port"))?;
    let control_url = format!(
        "http://{}",
        control
            .local_addr()
            .map_err(io("the control API's loopback port"))?
    );
    let default_okta = double.as_ref().map(|d| org_secrets::DefaultOkta {
        org_url: d.org_url(),
        token: d.token().to_owned(),
        webhook: format!("{control_url}/webhook"),
    });
    let prepared = org_secrets::prepare(
        from_file,
        args.okta_domain.as_deref(),
        default_okta.as_ref(),
    )
    .map_err(StackError::Secrets)?;
    put_secrets(&endpoint, &region, &specs, &prepared.stored).await?;

    let log_dir = state_file.with_extension("logs");
    std::fs::create_dir_all(&log_dir).map_err(io(format!("creating {}", log_dir.display())))?;
    let (printer, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    let quiet = args.quiet;
    let printing = tokio::spawn(async move {
        while let Some(line) = lines.recv().await {
            if !quiet
                || line.contains("failed")
                || line.contains("DENIED")
                || line.contains("ERROR")
            {
                println!("{line}");
            }
        }
    });
    // Loopback http for webhooks and Okta: the local stack's doubles listen on 127.0.0.1
    // without TLS. Only `stack up` sets this; the template never does.
    let mut overrides = vec![(
        "OKTA_HOOKS_ALLOW_LOOPBACK_HTTP".to_owned(),
        "true".to_owned(),
    )];
    if let Some(rules) = &args.rules {
        let rules =
            std::path::absolute(rules).map_err(io(format!("--rules {}", rules.display())))?;
        overrides.push((
            "OKTA_HOOKS_RULES_DIR".to_owned(),
            rules.display().to_string(),
        ));
    }
    let launch = runtime::Launch {
        bin_dir: args
            .bin_dir
            .clone()
            .unwrap_or_else(|| workspace.join("target/debug")),
        log_dir: log_dir.clone(),
        region: region.clone(),
        overrides,
        printer: printer.clone(),
    };
    let calls = aws_proxy::AwsCalls::new();
    let mut denials = calls.subscribe();
    let denial_printer = printer.clone();
    let watching = tokio::spawn(async move {
        while let Ok(call) = denials.recv().await {
            if !call.allowed {
                let _ = denial_printer.send(format!(
                    "DENIED {}: {} on {} (not granted by its role)",
                    call.function,
                    call.action,
                    call.resources.join(", ")
                ));
            }
        }
    });
    let running = serve::start(
        specs,
        &endpoint,
        &region,
        &account,
        launch,
        placeholder,
        control,
        calls,
    )
    .await?;
    let local = json!({
        "control_url": running.control_url,
        "log_dir": log_dir,
        "okta_org_url": double.as_ref().map(okta_double::Running::org_url),
    });
    write_state(&state_file, &deployed, &hook_base, &local)?;
    print_summary(&deployed, &state_file);
    if let Some((header, value)) = &prepared.generated_hook {
        // A local stack's generated value, printed so that `okta-hooks send` can use it.
        println!("hook auth: {header}: {value}");
        println!(
            "try: okta-hooks send --url {hook_base}/hooks/okta --secret {value} \
             events/okta-delivery.suspicious-activity.json"
        );
    }
    if let Some(double) = &double {
        println!(
            "okta: the embedded Okta double at {} (state: GET {}/__double/state)",
            double.org_url(),
            double.base_url()
        );
    }
    println!(
        "control: {}  logs: {}",
        running.control_url,
        log_dir.display()
    );
    let ours = if emulator.is_some() {
        " and moto_server"
    } else {
        ""
    };
    println!("up: Ctrl-C stops the stack{ours}");
    let _ = tokio::signal::ctrl_c().await;
    running.stop().await;
    watching.abort();
    drop(printer);
    let _ = printing.await;
    let _ = std::fs::remove_file(&state_file);
    drop(double);
    drop(emulator);
    println!("stopped: {}", args.stack_name);
    Ok(())
}

/// The AWS configuration of the local stack's emulator at `endpoint`: its region and
/// dummy credentials (nothing reads `~/.aws`, so no real account is reached).
pub async fn emulator_aws(endpoint: &str, region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(aws_adapters::http_client::certificates_on_first_request())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(region.to_owned()))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "okta-hooks-stack",
        ))
        .load()
        .await
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// Puts the org secrets where the functions read them: the template's prefix and legacy
/// setting from their environment, every served org (`OKTA_HOOKS_ORGS`).
async fn put_secrets(
    endpoint: &str,
    region: &str,
    specs: &[runtime::FunctionSpec],
    stored: &::org_secrets::StoredSecrets,
) -> Result<(), StackError> {
    let lookup = |name: &str| specs.iter().find_map(|s| s.environment.get(name).cloned());
    let env = |name: &str| lookup(name).unwrap_or_default();
    let config = ::org_secrets::SecretsConfig::from_lookup(lookup)
        .map_err(|e| StackError::Secrets(format!("the functions' environment: {e}")))?;
    let prefix = config.prefix.clone();
    let legacy = config.legacy_single_secret;
    let mut orgs = Vec::new();
    for name in env("OKTA_HOOKS_ORGS").split(',').filter(|o| !o.is_empty()) {
        orgs.push(
            ::org_secrets::OrgName::parse(name)
                .map_err(|e| StackError::Secrets(format!("OKTA_HOOKS_ORGS {name}: {e}")))?,
        );
    }
    let aws = emulator_aws(endpoint, region).await;
    let source = aws_adapters::SecretsManagerSource::from_config(
        &aws,
        &config,
        ::org_secrets::SecretReads::all(),
    );
    for org in &orgs {
        for (id, value) in
            org_secrets::secret_values(stored, &prefix, std::slice::from_ref(org), legacy)
        {
            source
                .put_or_create(org, &id, &value, None)
                .await
                .map_err(|e| StackError::Secrets(e.to_string()))?;
        }
    }
    Ok(())
}

/// Refuses a stack name the queues cannot be named after (before anything starts).
fn check_stack_name(stack_name: &str, parameters: &[String]) -> Result<(), StackError> {
    let valid = stack_name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && stack_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && stack_name.len() <= 128;
    if !valid {
        return Err(StackError::Usage(format!(
            "--stack-name {stack_name:?}: a letter, then letters, digits and '-', at most 128"
        )));
    }
    let prefixed = parameters
        .iter()
        .any(|p| p.starts_with("QueueNamePrefix=") && p.len() > "QueueNamePrefix=".len());
    if stack_name.len() > LONGEST_QUEUE_PREFIX && !prefixed {
        return Err(StackError::Usage(format!(
            "--stack-name is {} characters: the queues are named after it only up to \
             {LONGEST_QUEUE_PREFIX} (SQS's 80 with -credentials-dlq.fifo); add \
             --parameter QueueNamePrefix=<at most {LONGEST_QUEUE_PREFIX} characters>",
            stack_name.len()
        )));
    }
    for parameter in parameters {
        if !parameter.contains('=') {
            return Err(StackError::Usage(format!(
                "--parameter {parameter:?}: KEY=VALUE"
            )));
        }
    }
    Ok(())
}

/// The nearest directory, from the current one up, that holds the template and the script.
fn find_workspace() -> Result<PathBuf, StackError> {
    let here = std::env::current_dir().map_err(io("the current directory"))?;
    here.ancestors()
        .find(|dir| {
            dir.join("infra/template.yaml").is_file()
                && dir.join("scripts/stack_deploy.py").is_file()
        })
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            StackError::Usage(
                "no infra/template.yaml here or above: run it in the okta-hooks workspace \
                 or give --workspace"
                    .to_owned(),
            )
        })
}

/// `scripts/stack_deploy.py` with the venv's Python; its stdout is the deployment (JSON).
async fn deploy(
    workspace: &Path,
    args: &UpArgs,
    endpoint: &str,
    hook_base: &str,
) -> Result<Value, StackError> {
    let mut command = Command::new(workspace.join(".venv/bin/python"));
    command
        .arg(workspace.join("scripts/stack_deploy.py"))
        .arg("--template")
        .arg(workspace.join("infra/template.yaml"))
        .args(["--stack-name", &args.stack_name])
        .args(["--endpoint", endpoint])
        .args(["--hook-base-url", hook_base]);
    for parameter in &args.parameters {
        command.args(["--parameter", parameter]);
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|e| StackError::Deploy(e.to_string()))?
        .map_err(io(format!(
            "running {}/.venv/bin/python (make venv once)",
            workspace.display()
        )))?;
    if !output.status.success() {
        return Err(StackError::Deploy(format!(
            "exit {} (its reason is on stderr above)",
            output.status
        )));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| StackError::Deploy(format!("its output is not the expected JSON: {e}")))
}

fn write_state(
    path: &Path,
    deployed: &Value,
    hook_base: &str,
    local: &Value,
) -> Result<(), StackError> {
    let mut state = json!({
        "stack_name": deployed["stack_name"],
        "endpoint": deployed["endpoint"],
        "region": deployed["region"],
        "hook_base_url": hook_base,
        "outputs": deployed["outputs"],
        "queues": deployed["queues"],
        "tables": deployed["tables"],
        "functions": deployed["functions"],
        "function_urls": deployed["function_urls"],
        "skipped": deployed["skipped"],
    });
    if let (Some(state), Some(local)) = (state.as_object_mut(), local.as_object()) {
        state.extend(local.clone());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    }
    let text = serde_json::to_string_pretty(&state).unwrap_or_default();
    std::fs::write(path, text + "\n").map_err(io(format!("writing {}", path.display())))
}

fn print_summary(deployed: &Value, state_file: &Path) {
    let text = |v: &Value| v.as_str().unwrap_or("?").to_owned();
    let outputs = &deployed["outputs"];
    println!(
        "stack {} deployed into {}",
        text(&deployed["stack_name"]),
        text(&deployed["endpoint"])
    );
    if outputs.get("HookUrl").is_some() {
        println!("hook URL: {}", text(&outputs["HookUrl"]));
        println!(
            "hook URL (default org): {}",
            text(&outputs["HookUrlDefaultOrg"])
        );
    } else {
        println!("hook URL: none (Ingress=PollOnly: the log-poller reads the System Log)");
    }
    if let Some(urls) = deployed["function_urls"].as_object() {
        for (logical, url) in urls {
            println!("function URL {logical}: {}", text(url));
        }
    }
    for (title, key) in [
        ("queue", "queues"),
        ("table", "tables"),
        ("function", "functions"),
    ] {
        if let Some(map) = deployed[key].as_object() {
            for (logical, physical) in map {
                println!("{title} {logical}: {}", text(physical));
            }
        }
    }
    if let Some(skipped) = deployed["skipped"].as_array() {
        for s in skipped {
            println!(
                "not created by the emulator: {} ({}): {}",
                text(&s["logical_id"]),
                text(&s["type"]),
                text(&s["emulated"])
            );
        }
    }
    println!("state: {}", state_file.display());
}

/// `moto_server` started by us on a loopback port it chose; killed by PID on drop.
struct Emulator {
    child: Child,
    port: u16,
}

impl Emulator {
    fn start(moto_server: &Path) -> Result<Self, StackError> {
        let mut child = Command::new(moto_server)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(io(format!(
                "starting {} (make venv once)",
                moto_server.display()
            )))?;
        let Some(stderr) = child.stderr.take() else {
            let _ = child.kill();
            return Err(StackError::Emulator(
                "no stderr to read its port from".into(),
            ));
        };
        // werkzeug says ` * Running on http://127.0.0.1:PORT` once the socket listens; the
        // rest of its output is drained so that it never blocks on a full pipe.
        let (found, port) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut found = Some(found);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(port) = line
                    .split("Running on http://127.0.0.1:")
                    .nth(1)
                    .and_then(|rest| rest.trim().parse::<u16>().ok())
                    && let Some(sender) = found.take()
                {
                    let _ = sender.send(port);
                }
            }
        });
        let mut emulator = Emulator { child, port: 0 };
        match port.recv_timeout(EMULATOR_START) {
            Ok(port) => emulator.port = port,
            Err(_) => {
                let status = emulator.child.try_wait().ok().flatten();
                return Err(StackError::Emulator(match status {
                    Some(status) => format!("exited before listening: {status}"),
                    None => format!("said no port within {EMULATOR_START:?}"),
                }));
            }
        }
        println!(
            "moto_server: pid {} on {}",
            emulator.child.id(),
            emulator.endpoint()
        );
        Ok(emulator)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_name_longer_than_the_queue_prefix_needs_a_queue_name_prefix() {
        let long = format!("a{}", "b".repeat(LONGEST_QUEUE_PREFIX));
        let refused = check_stack_name(&long, &[]).expect_err("60 characters");
        assert!(refused.to_string().contains("QueueNamePrefix"), "{refused}");
        assert!(check_stack_name(&long, &["QueueNamePrefix=short".to_owned()]).is_ok());
        assert!(check_stack_name(&long[..LONGEST_QUEUE_PREFIX], &[]).is_ok());
    }

    #[test]
    fn a_stack_name_cloudformation_refuses_is_refused_before_anything_starts() {
        for bad in ["", "1stack", "with space", "under_score", &"a".repeat(129)] {
            assert!(check_stack_name(bad, &[]).is_err(), "{bad:?}");
        }
        assert!(check_stack_name("okta-hooks", &["NoEquals".to_owned()]).is_err());
    }
}
