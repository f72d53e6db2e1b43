use aidoc_common::config::process_env;
use aidoc_common::main_support;
use aidoc_indexer::config::IndexerConfig;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// aidoc-indexer: ingest workers and search.
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
        Command::Healthcheck => main_support::healthcheck::<IndexerConfig>(&env),
        Command::Serve => {
            let settings = main_support::load_or_exit::<IndexerConfig>(&env);
            main_support::serve(settings, env, aidoc_indexer::run)
        }
        Command::Migrate => {
            let settings = main_support::load_or_exit::<IndexerConfig>(&env);
            main_support::oneshot(settings, env, |s| async move {
                let applied = aidoc_indexer::migrate(&s).await?;
                tracing::info!(applied = applied.len(), "search schema up to date");
                Ok(())
            })
        }
    }
}
