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
    /// Create the first admin if no user exists (AIDOC_ADMIN_USERNAME,
    /// AIDOC_ADMIN_PASSWORD[_FILE]; without a password one is generated and
    /// printed once), then exit.
    EnsureAdmin {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
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
        Command::EnsureAdmin { json } => {
            let settings = main_support::load_or_exit::<ApiConfig>(&env);
            main_support::oneshot(settings, env, move |s| async move {
                let r = aidoc_api::ensure_admin(&s).await?;
                if json {
                    let out = serde_json::json!({
                        "created": r.created,
                        "username": r.username,
                        "generated_password": (!r.generated_password.is_empty()).then_some(&r.generated_password),
                    });
                    println!("{out}");
                } else if r.created && !r.generated_password.is_empty() {
                    println!("created the first admin `{}` with the password: {}", r.username, r.generated_password);
                    println!("it is shown only this once: sign in and change it");
                } else if r.created {
                    println!("created the first admin `{}` with the password from AIDOC_ADMIN_PASSWORD", r.username);
                } else {
                    println!("users exist already: nothing to do");
                }
                Ok(())
            })
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
