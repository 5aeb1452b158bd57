//! `mailtrail`: read timelines (in the terminal or a browser), ask, edit and sync the
//! suppression list, replay quarantine and the dead-letter queue.
//! `mailtrail --help` lists the commands.

mod archive;
mod args;
mod dlq;
mod forget;
mod items;
mod quarantine;
mod records;
mod stats;
mod suppressed;
mod sync;
mod tables;
mod timeline;
mod ui;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line on stderr: the error and its causes.
            eprintln!("mailtrail: {}", format!("{error:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let context = tables::Context::from_cli(&cli).await?;
    match &cli.command {
        Command::Message { id } => timeline::message(&context, id).await,
        Command::Recipient {
            address,
            since,
            detail,
        } => timeline::recipient(&context, address, since.as_deref(), *detail).await,
        Command::Suppressed(args) => suppressed::run(&context, args).await,
        Command::Quarantine(command) => quarantine::run(&context, command).await,
        Command::Stats(args) => stats::run(&context, args).await,
        Command::Archive(command) => archive::run(&context, command).await,
        Command::Sql {
            query,
            workgroup,
            database,
        } => archive::sql(&context, query, workgroup.as_deref(), database.as_deref()).await,
        Command::Forget {
            address,
            dry_run,
            bucket,
        } => forget::run(&context, address, bucket.as_deref(), *dry_run).await,
        Command::CreateTables => tables::create(&context).await,
        Command::Dlq(command) => dlq::run(&context, command).await,
        Command::Ui {
            port,
            no_open,
            token_file,
        } => ui::run(context, *port, !*no_open, token_file.as_deref()).await,
    }
}
