use aidoc_common::config::process_env;
use aidoc_common::main_support;
use aidoc_gateway::config::GatewayConfig;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// aidoc-gateway: the HTTP edge (REST, MCP, web UI).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP (the default).
    Serve,
    /// Exit 0 when the running service reports ready, 1 otherwise.
    Healthcheck,
    /// Print the OpenAPI document of the REST API (what `docs/openapi.json` holds).
    Openapi,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = process_env();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Healthcheck => main_support::healthcheck::<GatewayConfig>(&env),
        Command::Openapi => {
            print!("{}", aidoc_gateway::openapi::document_json());
            ExitCode::SUCCESS
        }
        Command::Serve => {
            let settings = main_support::load_or_exit::<GatewayConfig>(&env);
            main_support::serve(settings, env, aidoc_gateway::run)
        }
    }
}
