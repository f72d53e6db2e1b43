use aidoc_backup::config::{BackupKind, BackupServiceConfig};
use aidoc_backup::layout::Listed;
use aidoc_backup::progress::human_bytes;
use aidoc_backup::restore::RestoreOptions;
use aidoc_backup::{BackupError, Engine};
use aidoc_common::config::{EXIT_BAD_CONFIG, EnvMap, process_env};
use aidoc_common::main_support;
use aidoc_common::{Secret, Settings};
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// aidoc-backup: backups, retention and verified restores.
///
/// Configuration comes from the environment (AIDOC_DATABASE__URL, AIDOC_STORAGE__…, AIDOC_BACKUP__TARGET__…,
/// AIDOC_BACKUP__…); see docs/operations.md.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the scheduler and the gRPC admin service (the default).
    Serve,
    /// Exit 0 when the running service reports ready, 1 otherwise.
    Healthcheck,
    /// Back up the database (pg_dump) and the manifest of the blobs it references.
    Backup {
        /// Print the backup record as JSON.
        #[arg(long)]
        json: bool,
        /// Skip the retention run that follows every backup.
        #[arg(long)]
        no_cleanup: bool,
    },
    /// Back up the database and a copy of every referenced blob (restores onto an empty system).
    Full {
        #[arg(long)]
        json: bool,
        #[arg(long)]
        no_cleanup: bool,
    },
    /// Restore a backup (a name from `list`, or `latest`) after checking every checksum.
    Restore {
        name: String,
        /// Replace a database that holds documents (drops the catalog and search schemas first).
        /// To restore into another database than AIDOC_DATABASE__URL, set AIDOC_RESTORE_DATABASE_URL (an
        /// environment variable only, so the password never shows in the process list).
        #[arg(long)]
        force: bool,
    },
    /// Restore a backup into a scratch database, compare it with its manifest, and record the result.
    Verify { name: String },
    /// Apply the retention policy (AIDOC_BACKUP__KEEP_DAILY/WEEKLY/MONTHLY).
    Cleanup {
        /// Show what would be deleted.
        #[arg(long)]
        dry_run: bool,
    },
    /// What backups exist, their sizes and verification status.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Write a category (with its sub-categories) or the whole library to a portable archive.
    Export {
        /// The output file (a tar archive).
        file: PathBuf,
        /// A category path such as `Ops/Runbooks`; default: the whole library.
        #[arg(long)]
        category: Option<String>,
    },
    /// Import a portable archive through aidoc-api (AIDOC_API_URL); documents are parsed and indexed.
    Import {
        file: PathBuf,
        /// Wait until every imported document is indexed (e.g. 10m).
        #[arg(long, value_parser = humantime::parse_duration)]
        wait: Option<Duration>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = process_env();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Healthcheck => main_support::healthcheck::<BackupServiceConfig>(&env),
        Command::Serve => {
            let settings = main_support::load_or_exit::<BackupServiceConfig>(&env);
            main_support::serve(settings, env, aidoc_backup::run)
        }
        command => {
            let mut settings = main_support::load_or_exit::<BackupServiceConfig>(&env);
            // On a terminal the progress bars tell what happens; logs stay for warnings unless asked for.
            if std::io::stderr().is_terminal() && !env.contains_key("AIDOC_LOG__LEVEL") {
                settings.base.log.level = "warn".into();
            }
            aidoc_backup::progress::enable_bars();
            one_shot(settings, &env, command)
        }
    }
}

fn one_shot(settings: Settings<BackupServiceConfig>, env: &EnvMap, command: Command) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("aidoc-backup: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        if let Err(e) = cli_logging(&settings.base.log, env) {
            eprintln!("aidoc-backup: {e}");
            return ExitCode::from(EXIT_BAD_CONFIG as u8);
        }
        let restore_url = env.get("AIDOC_RESTORE_DATABASE_URL").filter(|u| !u.is_empty()).cloned();
        match execute(settings.service, command, restore_url).await {
            Ok(code) => code,
            Err(e) => {
                eprintln!("aidoc-backup: error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Logs of the one-shot commands go to stderr, so stdout holds only their results.
fn cli_logging(log: &aidoc_common::config::LogConfig, env: &EnvMap) -> Result<(), String> {
    use aidoc_common::config::LogFormat;
    let directive = env.get("RUST_LOG").cloned().unwrap_or_else(|| log.level.clone());
    let filter = tracing_subscriber::EnvFilter::try_new(&directive)
        .map_err(|e| format!("invalid log filter {directive:?}: {e}"))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
    let installed = match log.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
    };
    installed.map_err(|e| format!("cannot install logging: {e}"))
}

async fn execute(
    cfg: BackupServiceConfig,
    command: Command,
    restore_url: Option<String>,
) -> Result<ExitCode, BackupError> {
    let engine = Engine::open(cfg).await?;
    match command {
        Command::Backup { json, no_cleanup } => backup(&engine, BackupKind::Database, json, no_cleanup).await,
        Command::Full { json, no_cleanup } => backup(&engine, BackupKind::Full, json, no_cleanup).await,
        Command::Restore { name, force } => {
            let opts = RestoreOptions { force, database_url: restore_url.map(Secret::new) };
            let r = engine.restore(&name, &opts).await?;
            println!(
                "restored {} ({}) into database {} in {:.1} s",
                r.name,
                r.kind.as_str(),
                r.database,
                r.duration_ms as f64 / 1000.0
            );
            println!("  blobs: {} restored, {} already present", r.blobs_restored, r.blobs_present);
            if !r.migrations_applied.is_empty() {
                println!("  migrations applied after the restore: {:?}", r.migrations_applied);
            }
            if !r.blobs_missing.is_empty() {
                println!(
                    "  warning: {} referenced blobs are in neither the backup nor the document store:",
                    r.blobs_missing.len()
                );
                for k in &r.blobs_missing {
                    println!("    {k}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { name } => {
            let v = engine.verify(&name).await?;
            for w in &v.warnings {
                println!("warning: {w}");
            }
            if v.ok {
                println!("{name}: restore test passed in {:.1} s", v.duration_ms as f64 / 1000.0);
                Ok(ExitCode::SUCCESS)
            } else {
                println!("{name}: restore test FAILED:");
                for p in &v.problems {
                    println!("  - {p}");
                }
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Cleanup { dry_run } => {
            let r = engine.cleanup(dry_run).await?;
            let verb = if dry_run { "would delete" } else { "deleted" };
            for (name, why) in &r.plan.keep {
                println!("keep    {name}  ({})", why.join(", "));
            }
            for name in &r.plan.delete {
                println!("{verb:7} {name}");
            }
            for name in &r.plan.delete_incomplete {
                println!("{verb:7} {name}  (incomplete)");
            }
            if !dry_run {
                println!("freed {}", human_bytes(r.deleted_bytes));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::List { json } => {
            let listing = engine.list().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&listing).unwrap_or_default());
            } else {
                print_list(&listing);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { file, category } => {
            let r = engine.export(category.as_deref(), &file).await?;
            println!(
                "exported {} documents ({}) and {} categories to {}",
                r.documents,
                human_bytes(r.bytes),
                r.categories,
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { file, wait } => {
            let r = engine.import(&file, wait).await?;
            println!(
                "imported {}: {} new documents, {} already present, {} categories created",
                file.display(),
                r.created.len(),
                r.already_present.len(),
                r.categories_created
            );
            if wait.is_some() {
                println!("  indexed: {} ready, {} failed", r.ready, r.failed.len());
                for f in &r.failed {
                    println!("  failed: {f}");
                }
            }
            Ok(if r.failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Serve | Command::Healthcheck => Ok(ExitCode::SUCCESS),
    }
}

async fn backup(engine: &Engine, kind: BackupKind, json: bool, no_cleanup: bool) -> Result<ExitCode, BackupError> {
    let info = engine.backup(kind).await?;
    if !no_cleanup && let Err(e) = engine.cleanup(false).await {
        eprintln!("aidoc-backup: warning: retention after the backup failed: {e}");
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&info).unwrap_or_default());
    } else {
        println!("{}", info.name);
        println!(
            "  {} in {:.1} s: dump {}, {} blobs ({}){}",
            human_bytes(info.size_bytes),
            info.duration_ms as f64 / 1000.0,
            human_bytes(info.file(aidoc_backup::layout::DUMP).map(|f| f.size).unwrap_or(0)),
            info.contents.blob_count,
            human_bytes(info.contents.blob_bytes),
            if kind == BackupKind::Full { " copied" } else { " referenced" },
        );
        for w in &info.warnings {
            println!("  warning: blob not copied: {w}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_list(listing: &[Listed]) {
    if listing.is_empty() {
        println!("no backups");
        return;
    }
    println!("{:<26} {:<9} {:<21} {:>10} {:>6} {:>6}  STATUS", "NAME", "KIND", "CREATED", "SIZE", "DOCS", "BLOBS");
    for l in listing {
        let docs = l.info.as_ref().and_then(|i| i.contents.row_counts.get("catalog.documents").copied());
        println!(
            "{:<26} {:<9} {:<21} {:>10} {:>6} {:>6}  {}",
            l.name,
            l.kind.map(|k| k.as_str()).unwrap_or("?"),
            l.created_at.map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string()).unwrap_or_default(),
            human_bytes(l.info.as_ref().map(|i| i.size_bytes).unwrap_or(l.stored_bytes)),
            docs.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
            l.info.as_ref().map(|i| i.contents.blob_count.to_string()).unwrap_or_else(|| "-".into()),
            l.status(),
        );
    }
}
