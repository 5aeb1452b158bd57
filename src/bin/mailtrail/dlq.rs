//! `mailtrail dlq replay`: the way back from the dead-letter queue. SQS's own redrive moves
//! messages between queues, never into a function, so each message (the body of a failed
//! asynchronous invocation is the original event) is sent to the function again; it is deleted
//! only when that invocation succeeded, and otherwise stays for the next attempt.

use std::collections::HashSet;

use anyhow::{bail, Context as _};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use serde_json::{json, Value};

use crate::args::{DlqCommand, Output};
use crate::items::table;
use crate::tables::Context;

/// Messages asked for per receive (SQS's maximum).
const RECEIVE_BATCH: i32 = 10;
/// How long a received message stays hidden from other readers until its turn comes.
const VISIBILITY_SECONDS: i32 = 120;
/// How long a message stays hidden once its replay starts: longer than any invocation (Lambda's
/// 15 minutes) and its wait, so no other reader replays it at the same time.
const REPLAY_VISIBILITY_SECONDS: i32 = 16 * 60;
/// How long a listed message stays hidden with `--dry-run`, at most: when the listing ends,
/// every listed message is made visible again.
const DRY_RUN_VISIBILITY_SECONDS: i32 = 30;

/// Runs a dead-letter queue command.
pub async fn run(context: &Context, command: &DlqCommand) -> anyhow::Result<()> {
    match command {
        DlqCommand::Replay {
            queue_url,
            function,
            dry_run,
            max,
        } => {
            let queue = match queue_url
                .as_deref()
                .or(context.outputs.dead_letter_queue_url.as_deref())
            {
                Some(queue) => queue.to_owned(),
                None => bail!("no queue: pass --queue-url, or --stack for the stack's DeadLetterQueueUrl"),
            };
            let function = match function.as_deref().or(context.outputs.function_name.as_deref()) {
                Some(function) => function.to_owned(),
                None if *dry_run => String::new(),
                None => bail!("no function: pass --function, or --stack for the stack's FunctionName"),
            };
            replay(context, &queue, &function, *dry_run, *max).await
        }
    }
}

/// One message's outcome.
fn outcome(message: &Message, replayed: bool, error: Option<String>) -> Value {
    let attribute = |name: &str| {
        message
            .message_attributes()
            .and_then(|a| a.get(name))
            .and_then(|v| v.string_value())
            .map(str::to_owned)
    };
    json!({
        "message_id": message.message_id(),
        "bytes": message.body().map_or(0, str::len),
        "first_received": message
            .attributes()
            .and_then(|a| a.get(&MessageSystemAttributeName::SentTimestamp))
            .and_then(|t| t.parse::<i64>().ok())
            .and_then(mailtrail::model::Timestamp::from_millis)
            .map(|t| t.to_rfc3339()),
        // Lambda's asynchronous dead-letter queue names it `ErrorCode`, EventBridge's
        // `ERROR_CODE`.
        "error_code": attribute("ErrorCode").or_else(|| attribute("ERROR_CODE")),
        "replayed": replayed,
        "error": error,
    })
}

async fn replay(
    context: &Context,
    queue: &str,
    function: &str,
    dry_run: bool,
    max: usize,
) -> anyhow::Result<()> {
    let sqs = aws_sdk_sqs::Client::new(&context.sdk);
    let lambda = aws_sdk_lambda::Client::new(&context.sdk);
    let mut seen = HashSet::new();
    let mut outcomes = Vec::new();
    let mut listed = Vec::new();
    'queue: while outcomes.len() < max {
        let received = sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(
                RECEIVE_BATCH.min(i32::try_from(max - outcomes.len()).unwrap_or(RECEIVE_BATCH)),
            )
            .visibility_timeout(if dry_run {
                DRY_RUN_VISIBILITY_SECONDS
            } else {
                VISIBILITY_SECONDS
            })
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .send()
            .await
            .map_err(aws_sdk_sqs::Error::from)
            .context("reading the dead-letter queue")?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        for message in messages {
            // A message seen before in this run came back: every one is accounted for.
            if !seen.insert(message.message_id().unwrap_or_default().to_owned()) {
                break 'queue;
            }
            if dry_run {
                outcomes.push(outcome(&message, false, None));
                listed.extend(message.receipt_handle().map(str::to_owned));
                continue;
            }
            let receipt = message.receipt_handle().unwrap_or_default().to_owned();
            // Hidden for as long as the replay may take, or skipped when another reader has
            // it by now (its receipt is no longer current).
            let hidden = sqs
                .change_message_visibility()
                .queue_url(queue)
                .receipt_handle(&receipt)
                .visibility_timeout(REPLAY_VISIBILITY_SECONDS)
                .send()
                .await;
            if let Err(error) = hidden {
                let error = aws_sdk_sqs::Error::from(error);
                outcomes.push(outcome(
                    &message,
                    false,
                    Some(format!(
                        "not replayed: the message is no longer held by this run ({error})"
                    )),
                ));
                continue;
            }
            let result = invoke(&lambda, function, message.body().unwrap_or_default()).await;
            match result {
                Ok(()) => {
                    sqs.delete_message()
                        .queue_url(queue)
                        .receipt_handle(message.receipt_handle().unwrap_or_default())
                        .send()
                        .await
                        .map_err(aws_sdk_sqs::Error::from)
                        .context("deleting a replayed message")?;
                    outcomes.push(outcome(&message, true, None));
                }
                Err(error) => {
                    outcomes.push(outcome(&message, false, Some(format!("{error:#}"))));
                    // Visible again when this run ends, for the next attempt.
                    listed.push(receipt);
                }
            }
        }
    }
    // A dry run leaves the queue as it found it; a message that still fails is visible again.
    for receipt in listed {
        sqs.change_message_visibility()
            .queue_url(queue)
            .receipt_handle(receipt)
            .visibility_timeout(0)
            .send()
            .await
            .map_err(aws_sdk_sqs::Error::from)
            .context("making a listed message visible again")?;
    }
    print(context, &outcomes, dry_run);
    Ok(())
}

/// Invokes `function` with `payload` and waits for it: an error unless it succeeded.
async fn invoke(lambda: &aws_sdk_lambda::Client, function: &str, payload: &str) -> anyhow::Result<()> {
    let output = lambda
        .invoke()
        .function_name(function)
        .payload(Blob::new(payload.as_bytes()))
        .send()
        .await
        .map_err(aws_sdk_lambda::Error::from)
        .context("invoking the function")?;
    if let Some(kind) = output.function_error() {
        let detail = output
            .payload()
            .map(|p| {
                String::from_utf8_lossy(p.as_ref())
                    .chars()
                    .take(300)
                    .collect::<String>()
            })
            .unwrap_or_default();
        bail!("the function failed ({kind}): {detail}");
    }
    if !(200..300).contains(&output.status_code()) {
        bail!("the function answered {}", output.status_code());
    }
    Ok(())
}

fn print(context: &Context, outcomes: &[Value], dry_run: bool) {
    match context.output {
        Output::Json => println!("{}", Value::Array(outcomes.to_vec())),
        Output::Table => {
            let mut rows = table(&["message", "first received", "error code", "replayed / error"]);
            for o in outcomes {
                let state = match (&o["error"], dry_run) {
                    (Value::String(error), _) => error.clone(),
                    (_, true) => "listed (dry run)".to_owned(),
                    _ => "replayed, deleted".to_owned(),
                };
                rows.add_row(vec![
                    o["message_id"].as_str().unwrap_or(""),
                    o["first_received"].as_str().unwrap_or(""),
                    o["error_code"].as_str().unwrap_or(""),
                    &state,
                ]);
            }
            let replayed = outcomes.iter().filter(|o| o["replayed"] == true).count();
            println!(
                "{} messages, {replayed} replayed and deleted, {} left in the queue\n{rows}",
                outcomes.len(),
                outcomes.len() - replayed
            );
        }
    }
}
