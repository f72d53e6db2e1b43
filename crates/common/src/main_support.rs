//! What every service's thin `main` does: load and validate the
//! configuration (exit 64 listing every problem), start the Tokio runtime and
//! telemetry, hand over to the service's `run`, and flush telemetry at exit.

use crate::config::{self, EnvMap, ServiceConfig, Settings};
use crate::shutdown::Shutdown;
use crate::telemetry::Telemetry;
use std::future::Future;
use std::process::ExitCode;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Loads `T` from the process environment or exits 64 with every problem.
pub fn load_or_exit<T: ServiceConfig>(env: &EnvMap) -> Settings<T> {
    match config::load::<T>(env) {
        Ok(s) => s,
        Err(e) => config::exit_bad_config(T::SERVICE, &e),
    }
}

/// Runs `f` inside a multi-threaded runtime with telemetry and signal
/// handling. Exit code 0 on a clean stop, 1 on a fatal error.
pub fn serve<T, F, Fut>(settings: Settings<T>, env: EnvMap, f: F) -> ExitCode
where
    T: ServiceConfig,
    F: FnOnce(Settings<T>, Shutdown) -> Fut,
    Fut: Future<Output = Result<(), BoxError>>,
{
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(format!("aidoc-{}", T::SERVICE))
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("aidoc-{}: cannot start the async runtime: {e}", T::SERVICE);
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let telemetry = match Telemetry::init(T::SERVICE, &settings.base.log, &env) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("aidoc-{}: {e}", T::SERVICE);
                return ExitCode::from(config::EXIT_BAD_CONFIG as u8);
            }
        };
        tracing::info!(service = T::SERVICE, version = crate::VERSION, env = ?settings.base.env, "starting");
        let shutdown = Shutdown::new();
        shutdown.on_signals();
        let result = f(settings, shutdown).await;
        let code = match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "fatal error");
                ExitCode::FAILURE
            }
        };
        telemetry.shutdown();
        code
    })
}

/// The `healthcheck` subcommand: probes this service's admin port.
pub fn healthcheck<T: ServiceConfig>(env: &EnvMap) -> ExitCode {
    match config::load::<T>(env) {
        Ok(s) => ExitCode::from(crate::healthcheck::run(s.base.admin_addr) as u8),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a one-shot async command (e.g. `migrate`) with plain logging.
pub fn oneshot<T, F, Fut>(settings: Settings<T>, env: EnvMap, f: F) -> ExitCode
where
    T: ServiceConfig,
    F: FnOnce(Settings<T>) -> Fut,
    Fut: Future<Output = Result<(), BoxError>>,
{
    serve(settings, env, |settings, _shutdown| f(settings))
}
