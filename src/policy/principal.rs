//! Principals: the `Principal`/`NotPrincipal` element of trust and other resource-based
//! policies, and the requesting principal of a request (parsed from its ARN).
//!
//! Matching follows "AWS JSON policy elements: Principal": `"*"` and `{"AWS": "*"}` are
//! everyone; an account id or `arn:aws:iam::ACCOUNT:root` is every principal of that account
//! (whose own identity policy must then also allow); a role ARN also covers that role's
//! sessions (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`). Wildcards are not
//! supported in principals other than the lone `"*"`.

use serde_json::Value;

use super::parse_error::{ParseError, string_or_array};

/// The principals a `Principal` element names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principals {
    /// `"*"` (or `{"AWS": "*"}`).
    pub everyone: bool,
    pub aws: Vec<String>,
    pub service: Vec<String>,
    pub federated: Vec<String>,
    pub canonical_user: Vec<String>,
}

impl Principals {
    pub fn parse(value: &Value, path: &str) -> Result<Principals, ParseError> {
        let mut principals = Principals::default();
        match value {
            Value::String(text) if text == "*" => principals.everyone = true,
            Value::String(_) => {
                return Err(ParseError::new(
                    path,
                    "expected \"*\" or an object such as {\"AWS\": …}",
                ));
            }
            Value::Object(object) => {
                for (kind, entries) in object {
                    let entry_path = format!("{path}.{kind}");
                    let entries = string_or_array(entries, &entry_path)?;
                    let list = match kind.as_str() {
                        "AWS" => &mut principals.aws,
                        "Service" => &mut principals.service,
                        "Federated" => &mut principals.federated,
                        "CanonicalUser" => &mut principals.canonical_user,
                        _ => {
                            return Err(ParseError::new(
                                &entry_path,
                                "unknown principal type (expected AWS, Service, Federated or CanonicalUser)",
                            ));
                        }
                    };
                    list.extend(entries);
                }
                if principals.aws.iter().any(|p| p == "*") {
                    principals.everyone = true;
                }
            }
            _ => return Err(ParseError::new(path, "expected \"*\" or an object")),
        }
        Ok(principals)
    }

    /// How the element names `principal`, if at all.
    pub fn names(&self, principal: &RequestPrincipal) -> PrincipalMatch {
        if self.everyone {
            return PrincipalMatch::Everyone;
        }
        match &principal.kind {
            PrincipalKind::Service => {
                return if self.service.contains(&principal.arn) {
                    PrincipalMatch::Exact
                } else {
                    PrincipalMatch::No
                };
            }
            PrincipalKind::Federated => {
                return if self.federated.contains(&principal.arn) {
                    PrincipalMatch::Exact
                } else {
                    PrincipalMatch::No
                };
            }
            _ => {}
        }
        let mut best = PrincipalMatch::No;
        for entry in &self.aws {
            if let Some(account) = account_of_entry(entry) {
                if principal.account.as_deref() == Some(account) {
                    best = best.max(PrincipalMatch::Account);
                }
            } else if *entry == principal.arn
                || principal
                    .role_arn_suffix
                    .as_deref()
                    .is_some_and(|suffix| role_entry_matches(entry, principal, suffix))
            {
                return PrincipalMatch::Exact;
            }
        }
        best
    }
}

/// `123456789012` or `arn:aws:iam::123456789012:root` → the account id.
fn account_of_entry(entry: &str) -> Option<&str> {
    if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
        return Some(entry);
    }
    let rest = entry.strip_prefix("arn:")?;
    let (_partition, rest) = rest.split_once(':')?;
    let rest = rest.strip_prefix("iam::")?;
    rest.strip_suffix(":root")
}

/// A trust entry `arn:aws:iam::A:role/path/NAME` covers the sessions of role NAME in A.
fn role_entry_matches(entry: &str, principal: &RequestPrincipal, role_name: &str) -> bool {
    let Some(account) = principal.account.as_deref() else {
        return false;
    };
    let Some(rest) = entry.strip_prefix("arn:") else {
        return false;
    };
    let Some((_partition, rest)) = rest.split_once(':') else {
        return false;
    };
    let Some(rest) = rest
        .strip_prefix("iam::")
        .and_then(|r| r.strip_prefix(account))
        .and_then(|r| r.strip_prefix(":role/"))
    else {
        return false;
    };
    rest.rsplit('/').next() == Some(role_name)
}

/// How strongly a `Principal` element names a principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalMatch {
    No,
    /// Through its account (the principal's own identity policy must also allow).
    Account,
    /// Through `"*"`.
    Everyone,
    /// By its own ARN (or, for a session, its role's ARN).
    Exact,
}

/// What kind of principal makes the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    Role,
    AssumedRole,
    Root,
    Service,
    Federated,
    Other,
}

/// The principal making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPrincipal {
    /// The ARN (or service name such as `ec2.amazonaws.com`).
    pub arn: String,
    pub account: Option<String>,
    pub kind: PrincipalKind,
    /// For roles and role sessions: the role name.
    role_arn_suffix: Option<String>,
    /// Service-linked roles (path `/aws-service-role/`) are exempt from SCPs and RCPs.
    pub service_linked: bool,
}

impl RequestPrincipal {
    /// Reads a principal from its ARN (or a service principal name).
    pub fn from_arn(arn: &str) -> RequestPrincipal {
        let mut principal = RequestPrincipal {
            arn: arn.to_owned(),
            account: None,
            kind: PrincipalKind::Other,
            role_arn_suffix: None,
            service_linked: false,
        };
        if !arn.starts_with("arn:") {
            if arn.ends_with(".amazonaws.com") || arn.ends_with(".amazonaws.com.cn") {
                principal.kind = PrincipalKind::Service;
            }
            return principal;
        }
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [_, _partition, service, _region, account, resource] = parts[..] else {
            return principal;
        };
        principal.account = (!account.is_empty()).then(|| account.to_owned());
        match (service, resource.split_once('/')) {
            ("iam", _) if resource == "root" => principal.kind = PrincipalKind::Root,
            ("iam", Some(("user", _))) => principal.kind = PrincipalKind::User,
            ("iam", Some(("role", path_and_name))) => {
                principal.kind = PrincipalKind::Role;
                principal.service_linked = path_and_name.starts_with("aws-service-role/");
                principal.role_arn_suffix = path_and_name.rsplit('/').next().map(str::to_owned);
            }
            ("sts", Some(("assumed-role", role_and_session))) => {
                principal.kind = PrincipalKind::AssumedRole;
                let role = role_and_session.split('/').next().unwrap_or_default();
                principal.service_linked = role.starts_with("AWSServiceRoleFor");
                principal.role_arn_suffix = Some(role.to_owned());
            }
            ("iam", Some(("saml-provider" | "oidc-provider", _))) => {
                principal.kind = PrincipalKind::Federated;
            }
            _ => {}
        }
        principal
    }

    /// The `aws:PrincipalType` value AWS puts in the request context.
    pub fn principal_type(&self) -> Option<&'static str> {
        Some(match self.kind {
            PrincipalKind::User => "User",
            PrincipalKind::Role | PrincipalKind::AssumedRole => "AssumedRole",
            PrincipalKind::Root => "Account",
            PrincipalKind::Federated => "FederatedUser",
            PrincipalKind::Service | PrincipalKind::Other => return None,
        })
    }

    /// The IAM user name for user principals (`aws:username`).
    pub fn user_name(&self) -> Option<&str> {
        if self.kind != PrincipalKind::User {
            return None;
        }
        self.arn.rsplit('/').next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn principals(value: Value) -> Principals {
        Principals::parse(&value, "Principal").unwrap()
    }

    #[test]
    fn parses_every_principal_form() {
        assert!(principals(json!("*")).everyone);
        assert!(principals(json!({"AWS": "*"})).everyone);
        let p = principals(
            json!({"AWS": ["111122223333", "arn:aws:iam::444455556666:role/x"], "Service": "ec2.amazonaws.com", "Federated": "cognito-identity.amazonaws.com", "CanonicalUser": "abc"}),
        );
        assert_eq!(p.aws.len(), 2);
        assert_eq!(p.service, ["ec2.amazonaws.com"]);
        assert_eq!(p.federated.len(), 1);
        assert_eq!(p.canonical_user, ["abc"]);
        let err = Principals::parse(&json!({"Bogus": "x"}), "Statement[0].Principal").unwrap_err();
        assert_eq!(err.path, "Statement[0].Principal.Bogus");
        assert!(Principals::parse(&json!("arn:aws:iam::1:root"), "P").is_err());
    }

    #[test]
    fn matches_accounts_roles_and_sessions() {
        let trust = principals(
            json!({"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:role/ops/pg-mgmt-role"]}),
        );
        let same_account = RequestPrincipal::from_arn("arn:aws:iam::111111111111:user/alice");
        assert_eq!(trust.names(&same_account), PrincipalMatch::Account);
        let role = RequestPrincipal::from_arn("arn:aws:iam::222222222222:role/ops/pg-mgmt-role");
        assert_eq!(trust.names(&role), PrincipalMatch::Exact);
        let session =
            RequestPrincipal::from_arn("arn:aws:sts::222222222222:assumed-role/pg-mgmt-role/s1");
        assert_eq!(trust.names(&session), PrincipalMatch::Exact);
        let other = RequestPrincipal::from_arn("arn:aws:iam::333333333333:role/pg-mgmt-role");
        assert_eq!(trust.names(&other), PrincipalMatch::No);
        let bare_account = principals(json!({"AWS": "111111111111"}));
        assert_eq!(bare_account.names(&same_account), PrincipalMatch::Account);
    }

    #[test]
    fn recognises_service_linked_roles_and_kinds() {
        let slr = RequestPrincipal::from_arn(
            "arn:aws:iam::111111111111:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS",
        );
        assert!(slr.service_linked);
        assert_eq!(slr.kind, PrincipalKind::Role);
        let user = RequestPrincipal::from_arn("arn:aws:iam::111111111111:user/dev/bob");
        assert_eq!(user.user_name(), Some("bob"));
        assert_eq!(user.principal_type(), Some("User"));
        let service = RequestPrincipal::from_arn("ec2.amazonaws.com");
        assert_eq!(service.kind, PrincipalKind::Service);
        let trust = principals(json!({"Service": "ec2.amazonaws.com"}));
        assert_eq!(trust.names(&service), PrincipalMatch::Exact);
    }
}
