//! The command line, as clap reads it.

use anyhow::{bail, Context as _};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Reads mailtrail's timelines and suppression list, edits the list, and replays quarantine.
#[derive(Debug, Parser)]
#[command(
    name = "mailtrail",
    version,
    about,
    after_help = "Examples:\n  mailtrail --stack mailtrail message 0100018c-…\n  mailtrail recipient jane@example.com --since 2026-01-01\n  mailtrail suppressed jane@example.com --output json\n  mailtrail suppressed add jane@example.com --reason manual --note \"asked by phone\"\n\nCredentials and region come from the AWS SDK's standard chain (profiles, SSO, environment);\nAWS_ENDPOINT_URL_DYNAMODB points it at a local DynamoDB-API server."
)]
pub struct Cli {
    /// The events table.
    #[arg(long, env = "MAILTRAIL_TABLE", global = true)]
    pub table: Option<String>,
    /// The suppression table.
    #[arg(long, env = "MAILTRAIL_SUPPRESSIONS_TABLE", global = true)]
    pub suppressions_table: Option<String>,
    /// The statistics table (the counters `mailtrail stats` reads).
    #[arg(long, env = "MAILTRAIL_STATS_TABLE", global = true)]
    pub stats_table: Option<String>,
    /// Read the table names from this CloudFormation stack's outputs.
    #[arg(long, global = true)]
    pub stack: Option<String>,
    /// The AWS region (else the SDK's chain).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// The AWS profile (else the SDK's chain).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// `table` for people, `json` for scripts (one document on stdout), `csv` (stats only).
    #[arg(long, value_enum, default_value_t = OutputArg::Table, global = true)]
    pub output: OutputArg,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `--output` as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    /// A table.
    Table,
    /// One JSON document.
    Json,
    /// CSV (`mailtrail stats` and `mailtrail sql` only).
    Csv,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// A table.
    Table,
    /// One JSON document.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// A message's timeline, every recipient, oldest first.
    Message {
        /// The message id, as its provider names it (SES messageId, SendGrid X-Message-Id, Mailgun message-id, …).
        id: String,
    },
    /// Everything that happened to an address (the `by_recipient` index), oldest first.
    Recipient {
        /// The address.
        address: String,
        /// Only events at or after this time (`2026-01-01` or RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Fetch each event's full item (the index holds only what a row shows).
        #[arg(long)]
        detail: bool,
    },
    /// May I still send to this address? Or list, export and edit the suppression list.
    #[command(args_conflicts_with_subcommands = true)]
    Suppressed(SuppressedArgs),
    /// Bodies kept because they did not decode.
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
    /// How is our email doing: counts and rates per mailbox provider, sending provider, domain,
    /// tenant, config set or tag, from the counters; `verify` and `rebuild` check and recount
    /// them from the events.
    #[command(args_conflicts_with_subcommands = true, after_help = STATS_HELP)]
    Stats(StatsArgs),
    /// The archive of every event as Parquet on S3: write what the table holds, create the
    /// Athena views.
    #[command(subcommand)]
    Archive(ArchiveCommand),
    /// Removes an address from everything mailtrail wrote (events, others' raw events that name
    /// it, the archive); keeps its suppression record under a one-way hash; audits without it.
    #[command(
        after_help = "Example:\n  mailtrail --stack mailtrail forget jane@example.com --dry-run\n  mailtrail --stack mailtrail forget jane@example.com"
    )]
    Forget {
        /// The address.
        address: String,
        /// Count what would be removed; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// The archive bucket (else the stack's ArchiveBucketName).
        #[arg(long, env = "MAILTRAIL_ARCHIVE_BUCKET")]
        bucket: Option<String>,
    },
    /// Runs SQL over the archive with Athena (the stack's workgroup and database), shows its
    /// progress and the bytes scanned, and prints the rows.
    #[command(
        after_help = "Query `events` (one row per event) or `latest_status`; docs/queries.md holds a dozen questions.\n\nExamples:\n  mailtrail --stack mailtrail sql \"SELECT provider, count(*) FROM events WHERE dt >= '2026-11-01' GROUP BY 1\"\n  mailtrail sql --workgroup mailtrail --database mailtrail_archive \"SELECT * FROM latest_status LIMIT 10\" --output csv"
    )]
    Sql {
        /// The query.
        query: String,
        /// The Athena workgroup (else the stack's AthenaWorkGroup).
        #[arg(long, env = "MAILTRAIL_ATHENA_WORKGROUP")]
        workgroup: Option<String>,
        /// The Glue database (else the stack's ArchiveDatabase).
        #[arg(long, env = "MAILTRAIL_ARCHIVE_DATABASE")]
        database: Option<String>,
    },
    /// Creates the tables as template.yaml declares them (for a local DynamoDB-API server).
    CreateTables,
    /// The function's dead-letter queue: invocations that failed after Lambda's retries.
    #[command(subcommand)]
    Dlq(DlqCommand),
    /// The timelines and the suppression list in a browser: a read-only web app on 127.0.0.1,
    /// opened with the link it prints (a one-time login code).
    #[command(
        after_help = "Example:\n  mailtrail --stack mailtrail ui\n  mailtrail ui --port 8080 --no-open\n\nIt prints one line, `mailtrail ui: http://127.0.0.1:<port>/?login=<code>`, and runs until\ninterrupted. The code works once: the browser that opens the link gets the session cookie.\nScripts use `--token-file PATH` and send `Authorization: Bearer <token>`. Only this machine\ncan reach it, with a Host of 127.0.0.1:<port> or localhost:<port>."
    )]
    Ui {
        /// The port (0: a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Print the link without opening a browser.
        #[arg(long)]
        no_open: bool,
        /// Write the session token to this file (mode 0600), for scripts: they send it as
        /// `Authorization: Bearer <token>`.
        #[arg(long)]
        token_file: Option<std::path::PathBuf>,
    },
}

/// `mailtrail stats …`
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Check or recount the counters.
    #[command(subcommand)]
    pub command: Option<StatsCommand>,
    /// The first day (UTC, YYYY-MM-DD or RFC 3339; default: 30 days before --until).
    #[arg(long)]
    pub since: Option<String>,
    /// The last day, included (default: today, UTC).
    #[arg(long)]
    pub until: Option<String>,
    /// One row per value of this dimension (default: one row, the total).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(
        mailtrail::read::stats::By::ALL.map(|b| b.as_str())))]
    pub by: Option<String>,
    /// Only this sending provider.
    #[arg(long)]
    pub provider: Option<String>,
    /// Only this mailbox provider.
    #[arg(long)]
    pub mailbox: Option<String>,
    /// Only this recipient domain.
    #[arg(long)]
    pub domain: Option<String>,
    /// Only this sending domain.
    #[arg(long)]
    pub sending_domain: Option<String>,
    /// Only this tenant.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Only this configuration set.
    #[arg(long)]
    pub config_set: Option<String>,
    /// Only this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// Rates are flagged only over at least this many (deliveries for complaints, volume for bounces).
    #[arg(long, default_value_t = mailtrail::read::stats::DEFAULT_MIN_VOLUME)]
    pub min_volume: i64,
}

/// The counters' own commands.
#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// Recounts from the events and reports every counter that differs (exit status 1 when
    /// any does).
    Verify {
        /// The first day (default: the first day the events hold).
        #[arg(long)]
        since: Option<String>,
        /// The last day (default: today, UTC).
        #[arg(long)]
        until: Option<String>,
    },
    /// Recounts from the events and replaces the counters, a day at a time, oldest first; an
    /// interrupted rebuild resumes with the `--since` it printed last.
    Rebuild {
        /// The first day (default: the first day the events hold).
        #[arg(long)]
        since: Option<String>,
        /// The last day (default: today, UTC).
        #[arg(long)]
        until: Option<String>,
    },
}

const STATS_HELP: &str =
    "Rates: delivered, hard-bounce and soft-bounce over volume (delivered + bounced + rejected);
complaint, unsubscribe, open and click over deliveries. Mail to SES's simulator and mail a
provider refused for its own suppression list are counted apart, outside every rate. Opens and
clicks by machines (privacy proxies, scanners) are counted apart.
Flags: hard bounces at 5 % (SES review) and 10 % (SES pause); complaints at 0.1 % (SES review),
0.3 % (Gmail and Yahoo) and 0.5 % (SES pause), once the denominator reaches --min-volume.

Examples:
  mailtrail --stack mailtrail stats --by mailbox
  mailtrail stats --since 2026-11-01 --by provider --mailbox microsoft --output csv
  mailtrail stats --by domain --mailbox gmail --provider ses --output json
  mailtrail stats verify
  mailtrail stats rebuild --since 2026-11-01";

/// The archive's commands.
#[derive(Debug, Subcommand)]
pub enum ArchiveCommand {
    /// Writes every event the table holds to the archive (a parallel scan, progress on stderr):
    /// a file per day and scan page. Running it again rewrites the same files; the `events`
    /// view keeps one row per event whatever the stream also wrote.
    #[command(
        after_help = "Example:\n  mailtrail --stack mailtrail archive backfill --since 2026-01-01\n\nAWS_ENDPOINT_URL_S3 points it at a local S3 server (path-style addressing)."
    )]
    Backfill {
        /// Only events of this day (UTC, YYYY-MM-DD) or later.
        #[arg(long)]
        since: Option<String>,
        /// The archive bucket (else the stack's ArchiveBucketName).
        #[arg(long, env = "MAILTRAIL_ARCHIVE_BUCKET")]
        bucket: Option<String>,
    },
    /// Creates (or replaces) the `events` and `latest_status` views in the archive's database,
    /// with Athena.
    Views {
        /// The Athena workgroup (else the stack's AthenaWorkGroup).
        #[arg(long, env = "MAILTRAIL_ATHENA_WORKGROUP")]
        workgroup: Option<String>,
        /// The Glue database (else the stack's ArchiveDatabase).
        #[arg(long, env = "MAILTRAIL_ARCHIVE_DATABASE")]
        database: Option<String>,
    },
}

/// The dead-letter queue's commands.
#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// Sends each message back to the function, deleting it only when that invocation
    /// succeeded; what still fails stays in the queue.
    #[command(
        after_help = "Example:\n  mailtrail --stack mailtrail dlq replay --dry-run\n  mailtrail dlq replay --queue-url https://sqs.eu-west-1.amazonaws.com/123456789012/mailtrail-dlq --function mailtrail-mailtrail\n\nAWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_LAMBDA point it at local servers."
    )]
    Replay {
        /// The queue (else the stack's DeadLetterQueueUrl).
        #[arg(long)]
        queue_url: Option<String>,
        /// The function to invoke (else the stack's FunctionName).
        #[arg(long)]
        function: Option<String>,
        /// List the messages without invoking or deleting anything (they are visible again
        /// when the listing ends).
        #[arg(long)]
        dry_run: bool,
        /// At most this many messages.
        #[arg(long, default_value_t = 1000)]
        max: usize,
    },
}

/// `mailtrail suppressed …`
#[derive(Debug, Args)]
pub struct SuppressedArgs {
    /// The address to judge.
    pub address: Option<String>,
    /// List, export or edit.
    #[command(subcommand)]
    pub command: Option<SuppressedCommand>,
}

/// The suppression list's commands.
#[derive(Debug, Subcommand)]
pub enum SuppressedCommand {
    /// Every suppressed address.
    List {
        /// Only addresses suppressed for this reason.
        #[arg(long, value_parser = ["hard_bounce", "complaint", "unsubscribe", "soft_bounce_limit", "manual"])]
        reason: Option<String>,
        /// Only suppressions at or after this time.
        #[arg(long)]
        since: Option<String>,
    },
    /// Every suppressed address as CSV (`email,reason,since`), for importing into another sender.
    Export,
    /// Suppresses an address by hand.
    Add {
        /// The address.
        address: String,
        /// Only `manual`.
        #[arg(long, value_parser = ["manual"])]
        reason: String,
        /// Why (recorded with who and when).
        #[arg(long)]
        note: String,
    },
    /// Lifts one reason by hand; lifting a complaint needs --force.
    Remove {
        /// The address.
        address: String,
        /// The reason to lift.
        #[arg(long, value_parser = ["hard_bounce", "complaint", "unsubscribe", "soft_bounce_limit", "manual"])]
        reason: String,
        /// Why (recorded with who and when).
        #[arg(long)]
        note: String,
        /// Lift a complaint all the same.
        #[arg(long)]
        force: bool,
        /// Also delete the address from this provider's own list (`ses`: the account-level
        /// suppression list), once no bounce or complaint keeps it here.
        #[arg(long, value_parser = ["ses"])]
        at: Option<String>,
    },
    /// Adds what a provider's list already holds: SES's account-level list (`--from ses`) or
    /// a provider's export file (`--csv FILE --format F`). Newer evidence is never overridden;
    /// importing the same list again changes nothing.
    #[command(after_help = IMPORT_HELP)]
    Import {
        /// Read SES's account-level suppression list (ListSuppressedDestinations).
        #[arg(long, value_parser = ["ses"], conflicts_with_all = ["csv", "format"], required_unless_present = "csv")]
        from: Option<String>,
        /// A provider's export (CSV; the providers' API JSON is read too).
        #[arg(long, requires = "format")]
        csv: Option<std::path::PathBuf>,
        /// The export's format.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(
            mailtrail::suppression::import::ImportFormat::ALL.map(|f| f.name())))]
        format: Option<String>,
        /// The unsubscribe group of a `sendgrid-group-unsubscribes` file without a group column.
        #[arg(long)]
        group: Option<String>,
        /// Count what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Sends every address suppressed for a hard bounce or a complaint to a provider's list
    /// (`ses`: PutSuppressedDestination, BOUNCE or COMPLAINT), skipping what it already holds.
    Push {
        /// The provider.
        #[arg(long, value_parser = ["ses"])]
        to: String,
        /// Count what would be sent; send nothing.
        #[arg(long)]
        dry_run: bool,
        /// At most this many requests a second.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
        rate: u32,
    },
    /// Sends the current verdict of every record changed since a time to the stack's bus again
    /// (`Address Suppressed` / `Address Unsuppressed`, with the record's version): the way back
    /// for changes the notifier gave up on (its failure queue).
    #[command(
        after_help = "Example:\n  mailtrail --stack mailtrail suppressed notify --since 2026-12-01T00:00:00Z --dry-run\n\nAWS_ENDPOINT_URL_EVENTBRIDGE points it at a local server."
    )]
    Notify {
        /// Records changed at or after this time (RFC 3339 or YYYY-MM-DD).
        #[arg(long)]
        since: String,
        /// The bus (else the stack's EventBusName).
        #[arg(long)]
        bus: Option<String>,
        /// List what would be sent; send nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Whether a command puts events on the stack's bus (so the stack's outputs are read).
pub fn needs_the_bus(command: &Command) -> bool {
    matches!(
        command,
        Command::Suppressed(SuppressedArgs {
            command: Some(SuppressedCommand::Notify { bus: None, .. }),
            ..
        })
    )
}

const IMPORT_HELP: &str = "Formats (columns are found by their header's name, in any order):
  sendgrid-bounces              email, created, reason, status (4.x.x rows are skipped)
  sendgrid-blocks               every row skipped: a block is not a suppression
  sendgrid-spam-reports         email, created            -> complaint
  sendgrid-invalid-emails       email, created, reason    -> hard_bounce
  sendgrid-global-unsubscribes  email, created            -> unsubscribe
  sendgrid-group-unsubscribes   email, group_id (or --group), created -> that group
  mailgun-bounces               address, code, error, created_at -> hard_bounce
  mailgun-complaints            address, created_at       -> complaint
  mailgun-unsubscribes          address, tags, created_at -> unsubscribe (a tag: that topic)
  postmark                      EmailAddress, SuppressionReason, Origin, CreatedAt (or the dump's JSON)
  ses                           email,BOUNCE|COMPLAINT rows, or ListSuppressedDestinations JSON
  brevo                         email, reason (code), blockedAt (or the blockedContacts JSON)
  generic                       email, reason[, created_at] (hard_bounce, complaint, unsubscribe, manual)

Examples:
  mailtrail suppressed import --from ses --dry-run
  mailtrail suppressed import --csv bounces.csv --format sendgrid-bounces
  mailtrail suppressed push --to ses";

/// The quarantine's commands.
#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// Every kept body.
    List,
    /// One kept body, as received.
    Show {
        /// `<provider>/<hash>`, as `list` shows it.
        key: String,
    },
    /// Decodes every kept body with today's decoders and stores what now decodes; the events
    /// of a body that still fail are kept alone, whole bodies that still fail stay.
    #[command(
        after_help = "The soft-bounce rule is the deployment's: read from the function's configuration\n(--function, or the stack's FunctionName), or given with --soft-bounce-limit (0: off) and\n--soft-bounce-days.\n\nExample:\n  mailtrail --stack mailtrail quarantine replay"
    )]
    Replay {
        /// Days the replayed events are kept (the function's RETENTION_DAYS).
        #[arg(long, env = "MAILTRAIL_RETENTION_DAYS", default_value_t = mailtrail::config::DEFAULT_RETENTION_DAYS,
              value_parser = clap::value_parser!(u32).range(1..=36_500))]
        retention_days: u32,
        /// The function whose SOFT_BOUNCE_LIMIT and SOFT_BOUNCE_DAYS apply (else the stack's
        /// FunctionName).
        #[arg(long)]
        function: Option<String>,
        /// The deployment's soft-bounce limit, when the function cannot be read (0: off).
        #[arg(long, value_parser = clap::value_parser!(u32).range(0..=1000))]
        soft_bounce_limit: Option<u32>,
        /// The deployment's soft-bounce window in days (with --soft-bounce-limit).
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=365))]
        soft_bounce_days: u32,
    },
}

/// An address as given on the command line, normalized as stored.
pub(crate) fn normalized(address: &str) -> anyhow::Result<String> {
    mailtrail::model::event::normalize_recipient(address)
        .with_context(|| format!("{address:?} is not an address"))
}

/// A `--since` value as the sort-key prefix it compares with: a date or an RFC 3339 time.
pub fn since_key(since: &str) -> anyhow::Result<String> {
    let since = since.trim();
    if let Ok(date) = chrono::NaiveDate::parse_from_str(since, "%Y-%m-%d") {
        return Ok(format!("{date}T00:00:00.000Z"));
    }
    match mailtrail::model::Timestamp::parse_rfc3339(since) {
        Some(time) => Ok(time.to_rfc3339()),
        None => bail!("--since {since:?} is neither a date (2026-01-01) nor an RFC 3339 time"),
    }
}
