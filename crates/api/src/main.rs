use aidoc_api::config::ApiConfig;
use aidoc_common::config::process_env;
use aidoc_common::main_support;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// aidoc-api: the catalog, identity, job-queue and audit service.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve gRPC (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Exit 0 when the running service reports ready, 1 otherwise.
    Healthcheck,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = process_env();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Healthcheck => main_support::healthcheck::<ApiConfig>(&env),
        Command::Serve => {
            let settings = main_support::load_or_exit::<ApiConfig>(&env);
            main_support::serve(settings, env, aidoc_api::run)
        }
        Command::Migrate => {
            let settings = main_support::load_or_exit::<ApiConfig>(&env);
            main_support::oneshot(settings, env, |s| async move {
                let applied = aidoc_api::migrate(&s).await?;
                tracing::info!(applied = applied.len(), "catalog schema up to date");
                Ok(())
            })
        }
    }
}
