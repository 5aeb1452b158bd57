//! Which tables, through which client: flags, environment, or a CloudFormation stack's outputs.

use anyhow::{anyhow, bail, Context as _};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::Client;

use crate::args::{Cli, Output, OutputArg};

/// What a stack's outputs name.
#[derive(Debug, Default)]
pub struct StackOutputs {
    /// `EventsTableName`.
    pub events_table: Option<String>,
    /// `SuppressionsTableName`.
    pub suppressions_table: Option<String>,
    /// `StatsTableName`.
    pub stats_table: Option<String>,
    /// `ArchiveBucketName`.
    pub archive_bucket: Option<String>,
    /// `AthenaWorkGroup`.
    pub athena_workgroup: Option<String>,
    /// `ArchiveDatabase`.
    pub archive_database: Option<String>,
    /// `DeadLetterQueueUrl`.
    pub dead_letter_queue_url: Option<String>,
    /// `FunctionName`.
    pub function_name: Option<String>,
    /// `EventBusName`.
    pub event_bus: Option<String>,
}

/// What every command needs.
pub struct Context {
    /// The SDK's configuration (credentials, region, endpoints), for other services' clients.
    pub sdk: SdkConfig,
    /// The DynamoDB client (the SDK's standard chain).
    pub client: Client,
    /// The events table, when known.
    pub table: Option<String>,
    /// The suppression table, when known.
    pub suppressions_table: Option<String>,
    /// The statistics table, when known.
    pub stats_table: Option<String>,
    /// Whether `--output csv` was asked for (`mailtrail stats` only).
    pub csv: bool,
    /// How to print.
    pub output: Output,
    /// The stack's outputs, when `--stack` was given and read.
    pub outputs: StackOutputs,
}

impl Context {
    /// Builds the client and resolves the table names.
    pub async fn from_cli(cli: &Cli) -> anyhow::Result<Context> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = &cli.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &cli.profile {
            loader = loader.profile_name(profile);
        }
        let config = loader.load().await;
        let (mut table, mut suppressions_table) = (cli.table.clone(), cli.suppressions_table.clone());
        let mut stats_table = cli.stats_table.clone();
        let is_stats = matches!(cli.command, crate::args::Command::Stats(_));
        let is_archive = matches!(
            cli.command,
            crate::args::Command::Archive(_)
                | crate::args::Command::Sql { .. }
                | crate::args::Command::Forget { .. }
        );
        if cli.output == OutputArg::Csv
            && !is_stats
            && !matches!(cli.command, crate::args::Command::Sql { .. })
        {
            bail!("--output csv is for `mailtrail stats` and `mailtrail sql`");
        }
        // The stack is read only for what no flag or variable gave.
        let needs_stack = table.is_none()
            || suppressions_table.is_none()
            || (stats_table.is_none()
                && (is_stats || matches!(cli.command, crate::args::Command::Ui { .. })))
            || is_archive
            || matches!(cli.command, crate::args::Command::Dlq(_))
            || crate::args::needs_the_bus(&cli.command)
            || matches!(
                cli.command,
                crate::args::Command::Quarantine(crate::args::QuarantineCommand::Replay {
                    function: None,
                    soft_bounce_limit: None,
                    ..
                })
            );
        let mut outputs = StackOutputs::default();
        if let Some(stack) = cli.stack.as_ref().filter(|_| needs_stack) {
            outputs = stack_outputs(&config, stack).await?;
            table = table.or(outputs.events_table.clone());
            suppressions_table = suppressions_table.or(outputs.suppressions_table.clone());
            stats_table = stats_table.or(outputs.stats_table.clone());
        }
        Ok(Context {
            client: Client::new(&config),
            sdk: config,
            table,
            suppressions_table,
            stats_table,
            csv: cli.output == OutputArg::Csv,
            output: match cli.output {
                OutputArg::Json => Output::Json,
                OutputArg::Table | OutputArg::Csv => Output::Table,
            },
            outputs,
        })
    }

    /// The read side over these tables (the events table must be known).
    pub fn reads(&self) -> anyhow::Result<mailtrail::read::DynamoReads> {
        self.table()?;
        Ok(self.list_reads())
    }

    /// The reads of the read library without requiring the events table (the suppression
    /// list's pages need only theirs).
    pub fn list_reads(&self) -> mailtrail::read::DynamoReads {
        mailtrail::read::DynamoReads {
            client: self.client.clone(),
            events_table: self.table.clone(),
            suppressions_table: self.suppressions_table.clone(),
        }
    }

    /// The events table, or an error saying how to name it.
    pub fn table(&self) -> anyhow::Result<&str> {
        self.table
            .as_deref()
            .ok_or_else(|| anyhow!("no events table: pass --table, set MAILTRAIL_TABLE, or pass --stack"))
    }

    /// The statistics table, or an error saying how to name it.
    pub fn stats_table(&self) -> anyhow::Result<&str> {
        self.stats_table.as_deref().ok_or_else(|| {
            anyhow!("no statistics table: pass --stats-table, set MAILTRAIL_STATS_TABLE, or pass --stack")
        })
    }

    /// The suppression table, or an error saying how to name it.
    pub fn suppressions_table(&self) -> anyhow::Result<&str> {
        self.suppressions_table.as_deref().ok_or_else(|| {
            anyhow!("no suppression table: pass --suppressions-table, set MAILTRAIL_SUPPRESSIONS_TABLE, or pass --stack")
        })
    }
}

/// The stack's outputs the command uses.
async fn stack_outputs(config: &SdkConfig, stack: &str) -> anyhow::Result<StackOutputs> {
    let client = aws_sdk_cloudformation::Client::new(config);
    let described = client
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(aws_sdk_cloudformation::Error::from)
        .with_context(|| format!("reading stack {stack}"))?;
    let Some(found) = described.stacks().first() else {
        bail!("no stack {stack}");
    };
    let output = |key: &str| {
        found
            .outputs()
            .iter()
            .find(|o| o.output_key() == Some(key))
            .and_then(|o| o.output_value().map(str::to_owned))
    };
    Ok(StackOutputs {
        events_table: output("EventsTableName"),
        suppressions_table: output("SuppressionsTableName"),
        stats_table: output("StatsTableName"),
        archive_bucket: output("ArchiveBucketName"),
        athena_workgroup: output("AthenaWorkGroup"),
        archive_database: output("ArchiveDatabase"),
        dead_letter_queue_url: output("DeadLetterQueueUrl"),
        function_name: output("FunctionName"),
        event_bus: output("EventBusName"),
    })
}

/// `mailtrail create-tables`: the tables, as template.yaml declares them (the statistics table
/// when one is named).
pub async fn create(context: &Context) -> anyhow::Result<()> {
    let table = context.table()?;
    let suppressions = context.suppressions_table()?;
    let mut created = Vec::new();
    let stats = match context.stats_table.as_deref() {
        Some(name) => vec![(
            name,
            mailtrail::store::table::create_stats(&context.client, name).await,
        )],
        None => Vec::new(),
    };
    for (name, result) in [
        (
            table,
            mailtrail::store::table::create(&context.client, table).await,
        ),
        (
            suppressions,
            mailtrail::store::table::create_suppressions(&context.client, suppressions).await,
        ),
    ]
    .into_iter()
    .chain(stats)
    {
        match result {
            Ok(()) => created.push(serde_json::json!({"table": name, "created": true})),
            Err(mailtrail::store::table::TableError::Request(
                aws_sdk_dynamodb::Error::ResourceInUseException(_),
            )) => created.push(serde_json::json!({"table": name, "created": false, "exists": true})),
            Err(error) => return Err(error).with_context(|| format!("creating {name}")),
        }
    }
    match context.output {
        Output::Json => println!("{}", serde_json::Value::Array(created)),
        Output::Table => {
            for entry in created {
                let verb = if entry["created"] == true {
                    "created"
                } else {
                    "exists:"
                };
                println!("{verb} table {}", entry["table"].as_str().unwrap_or(""));
            }
        }
    }
    Ok(())
}
