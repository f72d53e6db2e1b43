//! `aidoc-parser`: the parser service's command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "aidoc-parser", version, about = "aidoc's document parser")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve gRPC (the default).
    Serve,
    /// Exit 0 when the running service reports ready, 1 otherwise.
    Healthcheck,
    /// Extract one file and print it to stdout.
    Extract {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = aidoc_common::config::process_env();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let settings = aidoc_common::main_support::load_or_exit::<aidoc_parser::server::ParserConfig>(&env);
            aidoc_common::main_support::serve(settings, env, aidoc_parser::server::run)
        }
        Command::Healthcheck => aidoc_common::main_support::healthcheck::<aidoc_parser::server::ParserConfig>(&env),
        Command::Extract { file, format } => extract(&file, format),
    }
}

fn extract(file: &std::path::Path, format: OutputFormat) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return ExitCode::from(1);
        }
    };
    let hint = aidoc_parser::Hint {
        file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
        declared_type: None,
    };
    match aidoc_parser::parse(&bytes, &hint, &aidoc_parser::Limits::default()) {
        Ok(doc) => {
            let out = match format {
                OutputFormat::Text => aidoc_parser::to_text(&doc),
                OutputFormat::Json => match serde_json::to_string_pretty(&doc) {
                    Ok(s) => s + "\n",
                    Err(e) => {
                        eprintln!("error: internal: {e}");
                        return ExitCode::from(2);
                    }
                },
            };
            use std::io::Write;
            if std::io::stdout().write_all(out.as_bytes()).is_err() {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", e.code());
            ExitCode::from(2)
        }
    }
}
