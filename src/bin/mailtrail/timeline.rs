//! `mailtrail message` and `mailtrail recipient`: timelines, oldest first, printed from the read
//! side's models (`mailtrail::read`).

use mailtrail::read::{self, TimelineEvent};

use crate::args::{since_key, Output};
use crate::items::table;
use crate::tables::Context;

/// One message's timeline.
pub async fn message(context: &Context, id: &str) -> anyhow::Result<()> {
    let events = read::message_timeline(&context.reads()?, id).await?;
    print(context, &format!("Message {id}"), &events);
    Ok(())
}

/// Everything that happened to one address since a time; `detail` reads each event's whole
/// item and raw event (the index keeps only some attributes).
pub async fn recipient(
    context: &Context,
    address: &str,
    since: Option<&str>,
    detail: bool,
) -> anyhow::Result<()> {
    let address = crate::args::normalized(address)?;
    let since = since.map(since_key).transpose()?;
    let timeline =
        read::recipient_timeline(&context.reads()?, &address, since.as_deref(), detail, false).await?;
    print(context, &format!("Recipient {address}"), &timeline.events);
    Ok(())
}

fn print(context: &Context, title: &str, events: &[TimelineEvent]) {
    match context.output {
        Output::Json => println!(
            "{}",
            serde_json::Value::Array(events.iter().map(|e| e.json.clone()).collect())
        ),
        Output::Table => {
            let mut rows = table(&["time", "provider", "event", "recipient", "message", "detail"]);
            for event in events {
                rows.add_row(vec![
                    &event.occurred_at,
                    &event.provider,
                    &event.event,
                    &event.recipient,
                    &event.message,
                    &event.detail,
                ]);
            }
            println!("{title}: {} events\n{rows}", events.len());
        }
    }
}
