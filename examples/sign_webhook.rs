//! Signs a webhook body as Mailgun, Resend (Svix), AhaSend (Standard Webhooks), MailerSend or
//! Mandrill would, with the demo secrets, for the demo and for trying the function by hand.
//!
//! - `sign_webhook mailgun SIGNING_KEY BODY_FILE`: prints the body with its `signature` block
//!   (timestamp now, a token of its own) signed.
//! - `sign_webhook resend whsec_SECRET BODY_FILE`: prints `<svix-id> <svix-timestamp>
//!   <svix-signature>` for the three headers.
//! - `sign_webhook ahasend SECRET BODY_FILE`: the same for the `webhook-id`,
//!   `webhook-timestamp` and `webhook-signature` headers, the secret used as written.
//! - `sign_webhook mailersend SECRET BODY_FILE`: prints the `Signature` header.
//! - `sign_webhook mandrill KEY EVENTS_FILE URL`: prints `X-Mandrill-Signature` for a form
//!   whose one field `mandrill_events` holds the file's text, posted to `URL`.

use anyhow::{bail, Context};
use aws_lc_rs::hmac;
use base64::Engine as _;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (provider, secret, body_path, url) = match args.as_slice() {
        [provider, secret, body_path] => (provider, secret, body_path, None),
        [provider, secret, body_path, url] => (provider, secret, body_path, Some(url)),
        _ => bail!("usage: sign_webhook mailgun|resend|ahasend|mailersend SECRET BODY_FILE | mandrill KEY EVENTS_FILE URL"),
    };
    let body = std::fs::read_to_string(body_path).with_context(|| format!("reading {body_path}"))?;
    let now = mailtrail::model::Timestamp::now();
    let timestamp = now.unix_seconds().to_string();
    // A token or message id of its own: the same body signed again is a new request.
    let unique = format!(
        "{:x}{}",
        now.millis(),
        mailtrail::base::digest::short_hash(body.as_bytes())
    );
    match provider.as_str() {
        "mailgun" => {
            let mut value: serde_json::Value = serde_json::from_str(&body).context("a JSON body")?;
            let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
            let tag = hmac::sign(&key, format!("{timestamp}{unique}").as_bytes());
            value["signature"] = serde_json::json!({
                "timestamp": timestamp,
                "token": unique,
                "signature": mailtrail::base::digest::hex(tag.as_ref()),
            });
            println!("{value}");
        }
        "resend" => {
            let key_bytes = base64::engine::general_purpose::STANDARD
                .decode(secret.trim_start_matches("whsec_"))
                .context("the secret is whsec_ and base64")?;
            let id = format!("msg_{unique}");
            let key = hmac::Key::new(hmac::HMAC_SHA256, &key_bytes);
            let tag = hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
            println!(
                "{id} {timestamp} v1,{}",
                base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
            );
        }
        "ahasend" => {
            let id = format!("msg_{unique}");
            let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
            let tag = hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
            println!(
                "{id} {timestamp} v1,{}",
                base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
            );
        }
        "mailersend" => {
            let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
            println!(
                "{}",
                mailtrail::base::digest::hex(hmac::sign(&key, body.as_bytes()).as_ref())
            );
        }
        "mandrill" => {
            let url = url.context("mandrill signs the URL it posts to: give it as the fourth argument")?;
            let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret.as_bytes());
            let tag = hmac::sign(&key, format!("{url}mandrill_events{body}").as_bytes());
            println!(
                "{}",
                base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
            );
        }
        other => bail!("no signer for {other}: mailgun, resend, ahasend, mailersend or mandrill"),
    }
    Ok(())
}
