//! Signs a body as SendGrid's Event Webhook does, with a PKCS#8 P-256 key (the demo key in
//! `events/`), and prints `<timestamp> <signature>` for the two headers.
//!
//! Usage: cargo run --example sign_sendgrid -- KEY.p8 BODY_FILE [UNIX_TIMESTAMP]

use anyhow::Context;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use base64::Engine as _;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [key_path, body_path, rest @ ..] = args.as_slice() else {
        anyhow::bail!("usage: sign_sendgrid KEY.p8 BODY_FILE [UNIX_TIMESTAMP]");
    };
    let key_der = std::fs::read(key_path).with_context(|| format!("reading {key_path}"))?;
    let body = std::fs::read(body_path).with_context(|| format!("reading {body_path}"))?;
    let timestamp = match rest.first() {
        Some(given) => given.parse::<i64>().context("the timestamp is not a number")?,
        None => mailtrail::model::Timestamp::now().unix_seconds(),
    }
    .to_string();
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &key_der)
        .map_err(|e| anyhow::anyhow!("not a PKCS#8 P-256 key: {e}"))?;
    let mut message = timestamp.clone().into_bytes();
    message.extend_from_slice(&body);
    let signature = key
        .sign(&SystemRandom::new(), &message)
        .map_err(|_| anyhow::anyhow!("signing failed"))?;
    println!(
        "{timestamp} {}",
        base64::engine::general_purpose::STANDARD.encode(signature.as_ref())
    );
    Ok(())
}
