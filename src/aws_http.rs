//! The HTTPS client every AWS SDK client of rdsiam uses, and the configuration loader that
//! installs it. It is the client the SDK's `default-https-client` feature builds (hyper,
//! rustls, the platform's root certificates, `HTTPS_PROXY`/`NO_PROXY` from the environment as
//! the latest behaviour version does), with one difference: rustls runs on the `ring`
//! provider instead of `aws-lc-rs`, whose C library dominated a fresh release build
//! (benches/RESULTS.md, build time).

use aws_config::{BehaviorVersion, ConfigLoader};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The HTTPS client (hyper + rustls on ring), honouring the proxy environment variables.
pub fn https_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, runtime_components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::Ring));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = runtime_components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// `aws_config::defaults` at the latest behaviour version, with [`https_client`].
pub fn defaults() -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(https_client())
}
