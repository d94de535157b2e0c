//! Where a storage argument points and with which credentials: an `https://` blob URL
//! (with or without a SAS token), an `az://ACCOUNT/CONTAINER/PREFIX` address, or an
//! emulator's path-style URL, and the credentials `az storage` and azcopy take from the
//! environment. Pure: the environment is handed in, so every rule is tested here.

use anyhow::{Result, bail};
use percent_encoding::percent_decode_str;
use url::{Host, Url};

/// The Azurite and storage emulator account, and its published development key.
pub const EMULATOR_ACCOUNT: &str = "devstoreaccount1";
pub const EMULATOR_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const EMULATOR_ENDPOINT: &str = "http://127.0.0.1:10000/devstoreaccount1";

/// Whether a command-line argument names a place in Blob Storage rather than a file.
pub fn is_storage(argument: &str) -> bool {
    ["az://", "https://", "http://"]
        .iter()
        .any(|scheme| argument.len() > scheme.len() && starts_with_ignore_case(argument, scheme))
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// A container and a blob-name prefix in one account, as the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The argument without its query: how the blobs are named in reports, never with a
    /// secret in it (`az://acct/insights-logs-connections`).
    pub base: String,
    pub account: String,
    pub container: String,
    /// Blob names start with this (no leading `/`); empty for the whole container.
    pub prefix: String,
    /// The service endpoint the URL itself names (a sovereign cloud, an emulator);
    /// `None` for `az://`, which takes it from the environment or the public cloud.
    pub endpoint: Option<String>,
    /// A SAS token in the URL's query.
    pub sas: Option<String>,
}

impl Address {
    /// Parses `az://`, `https://ACCOUNT.blob.HOST/...` and path-style
    /// `http(s)://LOOPBACK:PORT/ACCOUNT/...` (emulators) arguments.
    pub fn parse(argument: &str) -> Result<Address> {
        if starts_with_ignore_case(argument, "az://") {
            let rest = &argument["az://".len()..];
            let rest = rest.split(['?', '#']).next().unwrap_or_default();
            let (account, path) = rest.split_once('/').unwrap_or((rest, ""));
            let (container, prefix) = split_container(&decode(path))?;
            let account = valid_account(account)?;
            return Ok(Address {
                base: format!("az://{account}/{container}"),
                account,
                container,
                prefix,
                endpoint: None,
                sas: None,
            });
        }
        let url = Url::parse(argument).map_err(|err| {
            anyhow::anyhow!("{}: not a storage URL: {err}", strip_query(argument))
        })?;
        let shown = strip_query(argument);
        let Some(host) = url.host() else {
            bail!("{shown}: the URL names no host");
        };
        let loopback = match &host {
            Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
            Host::Ipv4(ip) => ip.is_loopback(),
            Host::Ipv6(ip) => ip.is_loopback(),
        };
        if url.scheme() == "http" && !loopback {
            bail!(
                "{shown}: plain http would send the credentials in clear; use https (http is for an emulator on this machine)"
            );
        }
        let sas = url
            .query()
            .filter(|query| !query.is_empty())
            .map(str::to_string);
        let path = decode(url.path().trim_start_matches('/'));
        let origin = url.origin().ascii_serialization();
        let path_style = matches!(host, Host::Ipv4(_) | Host::Ipv6(_)) || loopback;
        let (account, endpoint, path) = if path_style {
            let (account, path) = path.split_once('/').unwrap_or((&path, ""));
            let account = valid_account(account)?;
            let endpoint = format!("{origin}/{account}");
            (account, endpoint, path.to_string())
        } else {
            let Host::Domain(name) = host else {
                unreachable!("addresses are path-style")
            };
            let Some((account, rest)) = name.split_once('.') else {
                bail!(
                    "{shown}: expected a blob endpoint such as https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX"
                );
            };
            if !rest.to_ascii_lowercase().starts_with("blob.") {
                bail!(
                    "{shown}: not a blob endpoint (expected https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX)"
                );
            }
            (valid_account(account)?, origin.clone(), path)
        };
        let (container, prefix) = split_container(&path)?;
        let base = format!("{endpoint}/{container}");
        Ok(Address {
            base,
            account,
            container,
            prefix,
            endpoint: Some(endpoint),
            sas,
        })
    }

    /// How the blob of this name is shown: the base and the name.
    pub fn name_of(&self, blob: &str) -> String {
        format!("{}/{blob}", self.base)
    }
}

fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

fn strip_query(argument: &str) -> &str {
    argument.split(['?', '#']).next().unwrap_or_default()
}

fn split_container(path: &str) -> Result<(String, String)> {
    let (container, prefix) = path.split_once('/').unwrap_or((path, ""));
    if container.is_empty() {
        bail!("the address names no container (expected .../CONTAINER/PREFIX)");
    }
    Ok((container.to_string(), prefix.to_string()))
}

fn valid_account(account: &str) -> Result<String> {
    if account.is_empty() || !account.bytes().all(|b| b.is_ascii_alphanumeric()) {
        bail!(
            "{account:?} is not a storage account name (letters and digits only, e.g. az://ACCOUNT/CONTAINER/PREFIX)"
        );
    }
    Ok(account.to_ascii_lowercase())
}

/// How requests are signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// The account's shared key.
    Key(String),
    /// A shared access signature: the query string, without its `?`.
    Sas(String),
    /// Unsigned requests, for a container with public access.
    Anonymous,
}

/// The endpoint and credential a run uses for one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The service URL blobs hang under (`https://acct.blob.core.windows.net`, or
    /// `http://127.0.0.1:10000/devstoreaccount1` for an emulator), without a trailing `/`.
    pub endpoint: String,
    pub credential: Credential,
    /// Where the credential came from, for messages (never the secret itself).
    pub from: &'static str,
}

/// Chooses the endpoint and credential as `az storage` does: a SAS token in the URL,
/// then `AZURE_STORAGE_CONNECTION_STRING` (when it is for this account), then
/// `AZURE_STORAGE_ACCOUNT` with `AZURE_STORAGE_KEY`, then `AZURE_STORAGE_SAS_TOKEN`, and
/// unsigned requests when none is set. An emulator is reached through a connection
/// string's `BlobEndpoint=` or `UseDevelopmentStorage=true`.
pub fn resolve(address: &Address, env: &dyn Fn(&str) -> Option<String>) -> Result<Access> {
    let env = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    let connection = env("AZURE_STORAGE_CONNECTION_STRING")
        .map(|text| ConnectionString::parse(&text))
        .transpose()?
        .filter(|connection| {
            connection
                .account
                .as_deref()
                .is_none_or(|account| account.eq_ignore_ascii_case(&address.account))
        });
    let endpoint = address
        .endpoint
        .clone()
        .or_else(|| connection.as_ref().and_then(|c| c.endpoint.clone()))
        .unwrap_or_else(|| format!("https://{}.blob.core.windows.net", address.account));
    let endpoint = endpoint.trim_end_matches('/').to_string();
    let access = |credential, from| Access {
        endpoint: endpoint.clone(),
        credential,
        from,
    };
    if let Some(sas) = &address.sas {
        return Ok(access(
            Credential::Sas(sas.clone()),
            "the SAS token in the URL",
        ));
    }
    if let Some(connection) = connection
        && let Some(credential) = connection.credential
    {
        return Ok(access(credential, "AZURE_STORAGE_CONNECTION_STRING"));
    }
    let account_matches = env("AZURE_STORAGE_ACCOUNT")
        .is_some_and(|account| account.trim().eq_ignore_ascii_case(&address.account));
    if account_matches && let Some(key) = env("AZURE_STORAGE_KEY") {
        return Ok(access(
            Credential::Key(key.trim().to_string()),
            "AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY",
        ));
    }
    if let Some(sas) = env("AZURE_STORAGE_SAS_TOKEN") {
        let sas = sas.trim().trim_start_matches('?').to_string();
        return Ok(access(Credential::Sas(sas), "AZURE_STORAGE_SAS_TOKEN"));
    }
    Ok(access(Credential::Anonymous, "no credentials"))
}

/// The parts of a storage connection string that matter here.
#[derive(Debug, Default)]
struct ConnectionString {
    account: Option<String>,
    endpoint: Option<String>,
    credential: Option<Credential>,
}

impl ConnectionString {
    fn parse(text: &str) -> Result<ConnectionString> {
        let mut pairs = Vec::new();
        for part in text
            .split(';')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let Some((key, value)) = part.split_once('=') else {
                bail!(
                    "AZURE_STORAGE_CONNECTION_STRING: {:?} is not KEY=VALUE",
                    part.chars().take(20).collect::<String>()
                );
            };
            pairs.push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, value)| value.clone())
        };
        if get("usedevelopmentstorage").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            let proxy = get("developmentstorageproxyuri");
            let endpoint = match proxy {
                Some(proxy) => format!("{}/{EMULATOR_ACCOUNT}", proxy.trim_end_matches('/')),
                None => EMULATOR_ENDPOINT.to_string(),
            };
            return Ok(ConnectionString {
                account: Some(EMULATOR_ACCOUNT.to_string()),
                endpoint: Some(endpoint),
                credential: Some(Credential::Key(EMULATOR_KEY.to_string())),
            });
        }
        let account = get("accountname");
        let endpoint = get("blobendpoint").or_else(|| {
            let account = account.as_ref()?;
            let protocol = get("defaultendpointsprotocol").unwrap_or_else(|| "https".into());
            let suffix = get("endpointsuffix").unwrap_or_else(|| "core.windows.net".into());
            Some(format!("{protocol}://{account}.blob.{suffix}"))
        });
        let credential = match (get("accountkey"), get("sharedaccesssignature")) {
            (Some(key), _) => Some(Credential::Key(key)),
            (None, Some(sas)) => Some(Credential::Sas(sas.trim_start_matches('?').to_string())),
            (None, None) => None,
        };
        Ok(ConnectionString {
            account,
            endpoint,
            credential,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn storage_arguments_are_told_from_files() {
        for argument in [
            "az://acct/c",
            "https://acct.blob.core.windows.net/c",
            "HTTP://127.0.0.1:10000/a/c",
        ] {
            assert!(is_storage(argument), "{argument}");
        }
        for argument in ["PT1H.json", "-", "az://", "./https://x", "azure/logs"] {
            assert!(!is_storage(argument), "{argument}");
        }
    }

    #[test]
    fn addresses_name_account_container_and_prefix() {
        // argument, base, account, prefix, endpoint, SAS
        type Case<'a> = (
            &'a str,
            &'a str,
            &'a str,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
        );
        let cases: [Case; 5] = [
            (
                "az://Contoso/insights-logs-connections/resourceId=/SUBSCRIPTIONS/X/",
                "az://contoso/insights-logs-connections",
                "contoso",
                "resourceId=/SUBSCRIPTIONS/X/",
                None,
                None,
            ),
            (
                "az://contoso/insights-logs-connections",
                "az://contoso/insights-logs-connections",
                "contoso",
                "",
                None,
                None,
            ),
            (
                "https://contoso.blob.core.windows.net/insights-logs-connections/resourceId%3D/SUB?sv=2022-11-02&sig=abc%2F",
                "https://contoso.blob.core.windows.net/insights-logs-connections",
                "contoso",
                "resourceId=/SUB",
                Some("https://contoso.blob.core.windows.net"),
                Some("sv=2022-11-02&sig=abc%2F"),
            ),
            (
                "https://contoso.blob.core.chinacloudapi.cn/logs",
                "https://contoso.blob.core.chinacloudapi.cn/logs",
                "contoso",
                "",
                Some("https://contoso.blob.core.chinacloudapi.cn"),
                None,
            ),
            (
                "http://127.0.0.1:10000/devstoreaccount1/logs/y=2026/",
                "http://127.0.0.1:10000/devstoreaccount1/logs",
                "devstoreaccount1",
                "y=2026/",
                Some("http://127.0.0.1:10000/devstoreaccount1"),
                None,
            ),
        ];
        for (argument, base, account, prefix, endpoint, sas) in cases {
            let address = Address::parse(argument).expect(argument);
            assert_eq!(address.base, base, "{argument}");
            assert_eq!(address.account, account, "{argument}");
            assert_eq!(address.prefix, prefix, "{argument}");
            assert_eq!(address.endpoint.as_deref(), endpoint, "{argument}");
            assert_eq!(address.sas.as_deref(), sas, "{argument}");
            assert!(!address.base.contains("sig="), "{argument}");
        }
    }

    #[test]
    fn bad_addresses_say_why_without_the_secret() {
        for (argument, expected) in [
            ("az://acct", "names no container"),
            ("az://ac-ct/c", "not a storage account name"),
            ("https://example.com/c?sig=secret", "not a blob endpoint"),
            ("http://contoso.blob.core.windows.net/c", "plain http"),
        ] {
            let err = format!("{:#}", Address::parse(argument).expect_err(argument));
            assert!(err.contains(expected), "{argument}: {err}");
            assert!(!err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn credentials_come_from_the_usual_places_in_the_usual_order() {
        let az = Address::parse("az://contoso/logs").expect("parses");
        let with_sas = Address::parse("https://contoso.blob.core.windows.net/logs?sv=1&sig=s")
            .expect("parses");
        let everything: &[(&str, &str)] = &[
            (
                "AZURE_STORAGE_CONNECTION_STRING",
                "DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey=Y29ubg==;EndpointSuffix=core.windows.net",
            ),
            ("AZURE_STORAGE_ACCOUNT", "contoso"),
            ("AZURE_STORAGE_KEY", "a2V5"),
            ("AZURE_STORAGE_SAS_TOKEN", "?sv=2&sig=t"),
        ];
        let resolve_in = |address: &Address, env: &[(&str, &str)]| {
            resolve(address, &env_of(env)).expect("resolves")
        };
        let access = resolve_in(&with_sas, everything);
        assert_eq!(access.credential, Credential::Sas("sv=1&sig=s".into()));
        assert_eq!(access.endpoint, "https://contoso.blob.core.windows.net");
        let access = resolve_in(&az, everything);
        assert_eq!(access.credential, Credential::Key("Y29ubg==".into()));
        assert_eq!(access.from, "AZURE_STORAGE_CONNECTION_STRING");
        let access = resolve_in(&az, &everything[1..]);
        assert_eq!(access.credential, Credential::Key("a2V5".into()));
        let access = resolve_in(&az, &everything[2..]);
        assert_eq!(access.credential, Credential::Sas("sv=2&sig=t".into()));
        let access = resolve_in(&az, &[]);
        assert_eq!(access.credential, Credential::Anonymous);
        assert_eq!(access.endpoint, "https://contoso.blob.core.windows.net");
        // Another account's connection string and key are not used.
        let other: &[(&str, &str)] = &[
            (
                "AZURE_STORAGE_CONNECTION_STRING",
                "AccountName=other;AccountKey=b3RoZXI=",
            ),
            ("AZURE_STORAGE_ACCOUNT", "other"),
            ("AZURE_STORAGE_KEY", "b3RoZXI="),
        ];
        assert_eq!(resolve_in(&az, other).credential, Credential::Anonymous);
    }

    #[test]
    fn emulators_are_reached_through_the_connection_string() {
        let az = Address::parse("az://devstoreaccount1/logs").expect("parses");
        let access = resolve(
            &az,
            &env_of(&[(
                "AZURE_STORAGE_CONNECTION_STRING",
                "UseDevelopmentStorage=true",
            )]),
        )
        .expect("resolves");
        assert_eq!(access.endpoint, "http://127.0.0.1:10000/devstoreaccount1");
        assert_eq!(access.credential, Credential::Key(EMULATOR_KEY.into()));
        let access = resolve(
            &az,
            &env_of(&[(
                "AZURE_STORAGE_CONNECTION_STRING",
                "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:41234/devstoreaccount1/;",
            )]),
        )
        .expect("resolves");
        assert_eq!(access.endpoint, "http://127.0.0.1:41234/devstoreaccount1");
        assert_eq!(access.credential, Credential::Key("a2V5".into()));
    }
}
