//! What the function builds once at cold start and keeps across invocations.

use std::sync::Arc;

use aws_sdk_dynamodb::Client;

use crate::config::Config;
use crate::store::Store;
use crate::verify::fetch::{HttpsGet, SnsHttpsClient};
use crate::verify::sendgrid::{BadPublicKey, SendGridVerifier};
use crate::verify::sns::{SnsVerifier, TopicAllowList};
use crate::verify::token::{TokenVerifier, WeakToken};

/// A secret that is configured but unusable.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A SendGrid key does not parse.
    #[error(transparent)]
    SendGridKey(#[from] BadPublicKey),
    /// A SendPulse token is too short to be a secret.
    #[error(transparent)]
    SendPulseToken(#[from] WeakToken),
}

/// One verifier per channel.
#[derive(Debug)]
pub struct Verifiers {
    /// SendGrid's ECDSA signatures.
    pub sendgrid: SendGridVerifier,
    /// SendPulse's URL token.
    pub sendpulse: TokenVerifier,
    /// SNS topics, and signatures of HTTPS deliveries.
    pub sns: SnsVerifier,
}

/// Settings, store and verifiers.
#[derive(Debug)]
pub struct App {
    /// Settings read at cold start.
    pub config: Config,
    /// The DynamoDB writer.
    pub store: Store,
    /// The request verifiers.
    pub verifiers: Verifiers,
}

impl App {
    /// Builds the app; SNS certificates and confirmations go through the real HTTPS client.
    pub fn new(config: Config, client: Client) -> Result<App, SetupError> {
        App::with_https(config, client, Arc::new(SnsHttpsClient::default()))
    }

    /// Builds the app with another HTTPS client for SNS.
    pub fn with_https(config: Config, client: Client, https: Arc<dyn HttpsGet>) -> Result<App, SetupError> {
        let verifiers = Verifiers {
            sendgrid: SendGridVerifier::new(&config.sendgrid_public_keys, config.sendgrid_max_age_seconds)?,
            sendpulse: TokenVerifier::new(&config.sendpulse_tokens)?,
            sns: SnsVerifier::new(
                TopicAllowList::new(config.sns_topic_arns.clone()),
                config.sns_cert_dir.clone(),
                https,
            ),
        };
        let store = Store::new(client, config.table_name.clone());
        Ok(App {
            config,
            store,
            verifiers,
        })
    }
}
