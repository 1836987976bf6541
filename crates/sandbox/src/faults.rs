//! Fault injection: make the sandbox fail on purpose, on a chosen request, the way a real service fails.
//!
//! The pipeline promises that a killed run, a lost answer or a slow gateway never sends anything twice and
//! never loses anything. Those promises can only be tested against a server that misbehaves on demand and
//! keeps real state while doing so: `drop` processes the request fully and then closes the connection
//! without an answer (the classic "lost answer" that makes a retried create meet `conflict`), `http500`
//! answers 500 without processing, `delay` answers late, `system` answers ACP's `system` error type.
//!
//! # Compact syntax (`--fault`, and strings in `POST /_admin/faults`)
//!
//! Colon-separated tokens, in any order:
//!
//! - a command name (`createMailing`, ...) limits the rule to that command; none (or `*`) means every command;
//! - `nth=N`: fire on the N-th matching request (1-based) only; with `every=K` too: on N, N+K, N+2K, ...;
//! - `every=K`: fire on every K-th matching request (K, 2K, ...);
//! - `times=T`: fire at most T times in all (default: unlimited; `nth` alone fires once by nature);
//! - the action, exactly one: `http500`, `drop`, `system`, `invalid`, `delay=MS`, or one of the hostile
//!   answers a client must not believe: `echo`, `echo500` (the key echoed back), `nolabel` (processed, answered
//!   without the label), `badlabel` (processed, a label that is not an image), `entity` (processed, the
//!   answer's first id replaced by an entity of a billion-laughs DOCTYPE), `redirect` (a 302 to another
//!   host, nothing processed), `huge` (an `invalid` error whose text is 8 MB).
//!
//! Without `nth` and `every` a rule fires on every matching request (bounded by `times`). Examples:
//! `createMailing:nth=3:drop`, `every=5:http500`, `createManifest:delay=3000`, `getInfo:times=2:system`.
//!
//! Counting is per rule, over API requests that passed the common checks (known key, known command) and
//! match the rule's command. When several rules fire on one request the first one in the list wins; every
//! matching rule counts the request all the same.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use mawb_wire::wire::Command;

/// What an injected fault does to the request it fires on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum FaultAction {
    /// Answer HTTP 500 without processing.
    Http500,
    /// Process the request fully, then close the connection without answering.
    Drop,
    /// Wait this long, then process and answer normally.
    Delay { ms: u64 },
    /// Answer `<errorType>system</errorType>` without processing.
    #[serde(rename = "system")]
    SystemError,
    /// Answer `<errorType>invalid</errorType>` without processing: ACP refusing for a rule of its own
    /// (a rule mawb's validator cannot know, such as an account permission).
    Invalid,
    /// Answer `invalid` with an error text that echoes the API key as sent (raw and form-encoded), as a
    /// careless server or proxy would.
    Echo,
    /// Answer HTTP 500 with a body that echoes the API key (raw and form-encoded).
    Echo500,
    /// Process the request fully, then answer without its labels (`ok`, no `<label>`).
    #[serde(rename = "nolabel")]
    NoLabel,
    /// Process the request fully, then answer with labels that decode to something not an image.
    #[serde(rename = "badlabel")]
    BadLabel,
    /// Process the request fully, then answer with a DOCTYPE of nested entities (billion laughs) and the
    /// first id of the answer replaced by one of them.
    Entity,
    /// Answer `302 Found` to another address without processing.
    Redirect,
    /// Answer `invalid` with an 8 MB error text without processing.
    Huge,
}

/// One fault rule: which requests it fires on and what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// The command it applies to (`createMailing`, ...); `None`: every command.
    #[serde(default)]
    pub command: Option<String>,
    /// Fire on the n-th matching request (1-based).
    #[serde(default)]
    pub nth: Option<u64>,
    /// Fire on every k-th matching request.
    #[serde(default)]
    pub every: Option<u64>,
    /// Fire at most this many times.
    #[serde(default)]
    pub times: Option<u64>,
    pub action: FaultAction,
}

/// Why a compact fault rule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fault rule '{rule}': {reason}")]
pub struct FaultParseError {
    pub rule: String,
    pub reason: String,
}

impl FromStr for FaultRule {
    type Err = FaultParseError;

    fn from_str(text: &str) -> Result<FaultRule, FaultParseError> {
        let fail = |reason: String| FaultParseError {
            rule: text.to_string(),
            reason,
        };
        let mut command = None;
        let mut nth = None;
        let mut every = None;
        let mut times = None;
        let mut action = None;
        for token in text.split(':').map(str::trim) {
            let mut set_action = |a: FaultAction| {
                if action.replace(a).is_some() {
                    Err(fail(
                        "more than one action (http500, drop, system, invalid, delay=MS, echo, echo500, nolabel, badlabel, entity, redirect, huge)".to_string(),
                    ))
                } else {
                    Ok(())
                }
            };
            match token.split_once('=') {
                Some((key, value)) => {
                    let number: u64 = value.trim().parse().map_err(|_| {
                        fail(format!("'{key}={value}': the value must be a whole number"))
                    })?;
                    match key.trim() {
                        "nth" | "every" | "times" if number == 0 => {
                            return Err(fail(format!("'{token}': must be 1 or more")))
                        }
                        "nth" => nth = Some(number),
                        "every" => every = Some(number),
                        "times" => times = Some(number),
                        "delay" => set_action(FaultAction::Delay { ms: number })?,
                        other => {
                            return Err(fail(format!(
                                "unknown key '{other}' (nth, every, times, delay)"
                            )))
                        }
                    }
                }
                None => match token {
                    "" => return Err(fail("empty token".to_string())),
                    "http500" | "500" => set_action(FaultAction::Http500)?,
                    "drop" => set_action(FaultAction::Drop)?,
                    "system" => set_action(FaultAction::SystemError)?,
                    "invalid" => set_action(FaultAction::Invalid)?,
                    "echo" => set_action(FaultAction::Echo)?,
                    "echo500" => set_action(FaultAction::Echo500)?,
                    "nolabel" => set_action(FaultAction::NoLabel)?,
                    "badlabel" => set_action(FaultAction::BadLabel)?,
                    "entity" => set_action(FaultAction::Entity)?,
                    "redirect" => set_action(FaultAction::Redirect)?,
                    "huge" => set_action(FaultAction::Huge)?,
                    "*" | "any" => {}
                    name => match Command::parse(name) {
                        Some(c) if command.is_none() => command = Some(c.as_str().to_string()),
                        Some(_) => return Err(fail("more than one command".to_string())),
                        None => {
                            return Err(fail(format!(
                                "'{name}' is neither a command nor an action (http500, drop, system, invalid, delay=MS, echo, echo500, nolabel, badlabel, entity, redirect, huge)"
                            )))
                        }
                    },
                },
            }
        }
        let action = action
            .ok_or_else(|| fail("no action (http500, drop, system, invalid, delay=MS, echo, echo500, nolabel, badlabel, entity, redirect, huge)".to_string()))?;
        Ok(FaultRule {
            command,
            nth,
            every,
            times,
            action,
        })
    }
}

impl fmt::Display for FaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = &self.command {
            write!(f, "{c}:")?;
        }
        if let Some(n) = self.nth {
            write!(f, "nth={n}:")?;
        }
        if let Some(k) = self.every {
            write!(f, "every={k}:")?;
        }
        if let Some(t) = self.times {
            write!(f, "times={t}:")?;
        }
        match self.action {
            FaultAction::Http500 => f.write_str("http500"),
            FaultAction::Drop => f.write_str("drop"),
            FaultAction::Delay { ms } => write!(f, "delay={ms}"),
            FaultAction::SystemError => f.write_str("system"),
            FaultAction::Invalid => f.write_str("invalid"),
            FaultAction::Echo => f.write_str("echo"),
            FaultAction::Echo500 => f.write_str("echo500"),
            FaultAction::NoLabel => f.write_str("nolabel"),
            FaultAction::BadLabel => f.write_str("badlabel"),
            FaultAction::Entity => f.write_str("entity"),
            FaultAction::Redirect => f.write_str("redirect"),
            FaultAction::Huge => f.write_str("huge"),
        }
    }
}

impl FaultRule {
    /// Checks a rule that arrived as JSON (the compact syntax checks itself).
    pub fn check(&self) -> Result<(), String> {
        if let Some(c) = &self.command {
            if Command::parse(c).is_none() {
                return Err(format!("fault rule: unknown command '{c}'"));
            }
        }
        if self.nth == Some(0) || self.every == Some(0) || self.times == Some(0) {
            return Err(format!(
                "fault rule '{self}': nth, every and times must be 1 or more"
            ));
        }
        Ok(())
    }

    /// Whether the `count`-th matching request (1-based) is one this rule fires on, times aside.
    fn selects(&self, count: u64) -> bool {
        match (self.nth, self.every) {
            (Some(n), None) => count == n,
            (Some(n), Some(k)) => count >= n && (count - n).is_multiple_of(k.max(1)),
            (None, Some(k)) => count.is_multiple_of(k.max(1)),
            (None, None) => true,
        }
    }
}

/// The live rules with their counters.
#[derive(Debug, Default)]
pub struct FaultState {
    rules: Vec<Counted>,
}

#[derive(Debug)]
struct Counted {
    rule: FaultRule,
    matched: u64,
    fired: u64,
}

impl FaultState {
    pub fn new(rules: Vec<FaultRule>) -> FaultState {
        FaultState {
            rules: rules
                .into_iter()
                .map(|rule| Counted {
                    rule,
                    matched: 0,
                    fired: 0,
                })
                .collect(),
        }
    }

    /// The current rules, in order.
    pub fn rules(&self) -> Vec<FaultRule> {
        self.rules.iter().map(|c| c.rule.clone()).collect()
    }

    /// Counts one API request of `command` and returns the fault to apply to it, if any.
    pub fn decide(&mut self, command: &str) -> Option<FaultRule> {
        let mut chosen = None;
        for c in &mut self.rules {
            if c.rule.command.as_deref().is_some_and(|rc| rc != command) {
                continue;
            }
            c.matched += 1;
            let within_times = c.rule.times.is_none_or(|t| c.fired < t);
            if chosen.is_none() && within_times && c.rule.selects(c.matched) {
                c.fired += 1;
                chosen = Some(c.rule.clone());
            }
        }
        chosen
    }
}

/// The answer `body` (a processed request's) as a hostile or broken server would send it instead.
/// `NoLabel` removes every `<label>` and `<labelFormat>`; `BadLabel` replaces each label with base64 of text
/// that is no image; `Entity` adds a billion-laughs DOCTYPE and puts its last entity in place of the first
/// tracking number, bag, day or manifest id. Other actions leave the body as it is.
pub fn tamper(action: &FaultAction, body: &str) -> String {
    match action {
        FaultAction::NoLabel => {
            let without = remove_elements(body, "label");
            remove_elements(&without, "labelFormat")
        }
        FaultAction::BadLabel => {
            replace_contents(body, "label", "bm90IGFuIGltYWdlLCBqdXN0IHRleHQ=")
        }
        FaultAction::Entity => {
            let mut doctype = String::from("<!DOCTYPE answer [<!ENTITY lol \"lol\">");
            let mut previous = "lol".to_string();
            for n in 1..=9 {
                let name = format!("lol{n}");
                doctype.push_str(&format!(
                    "<!ENTITY {name} \"{}\">",
                    format!("&{previous};").repeat(10)
                ));
                previous = name;
            }
            doctype.push_str("]>");
            let mut out = body.to_string();
            for id in ["trackingNumber", "bagId", "dayId", "manifestId"] {
                let open = format!("<{id}>");
                if let Some(start) = out.find(&open) {
                    if let Some(len) = out[start..].find(&format!("</{id}>")) {
                        out.replace_range(start + open.len()..start + len, "&lol9;");
                        break;
                    }
                }
            }
            match out.find("?>") {
                Some(end) if out.starts_with("<?xml") => {
                    out.insert_str(end + 2, &doctype);
                    out
                }
                _ => format!("{doctype}{out}"),
            }
        }
        _ => body.to_string(),
    }
}

/// `body` without any `<name>…</name>` element.
fn remove_elements(body: &str, name: &str) -> String {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find(&open) {
        out.push_str(&rest[..start]);
        match rest[start..].find(&close) {
            Some(end) => rest = &rest[start + end + close.len()..],
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `body` with the text of every `<name>…</name>` element replaced by `text`.
fn replace_contents(body: &str, name: &str, text: &str) -> String {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find(&open) {
        out.push_str(&rest[..start + open.len()]);
        match rest[start..].find(&close) {
            Some(end) => {
                out.push_str(text);
                rest = &rest[start + end..];
            }
            None => {
                rest = &rest[start + open.len()..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_examples() {
        let r: FaultRule = "createMailing:nth=3:drop".parse().unwrap();
        assert_eq!(r.command.as_deref(), Some("createMailing"));
        assert_eq!((r.nth, r.action.clone()), (Some(3), FaultAction::Drop));
        let r: FaultRule = "every=5:http500".parse().unwrap();
        assert_eq!(
            (r.command.clone(), r.every, r.action.clone()),
            (None, Some(5), FaultAction::Http500)
        );
        let r: FaultRule = "createManifest:delay=3000".parse().unwrap();
        assert_eq!(r.action, FaultAction::Delay { ms: 3000 });
        let r: FaultRule = "getInfo:times=2:system".parse().unwrap();
        assert_eq!(
            (r.times, r.action.clone()),
            (Some(2), FaultAction::SystemError)
        );
        assert_eq!(r.to_string(), "getInfo:times=2:system");
        assert_eq!(r.to_string().parse::<FaultRule>().unwrap(), r);
    }

    #[test]
    fn refuses_bad_rules() {
        for bad in [
            "",
            "createMailing",
            "drop:http500",
            "nth=x:drop",
            "nth=0:drop",
            "foo:drop",
            "wait=3:drop",
        ] {
            assert!(bad.parse::<FaultRule>().is_err(), "{bad}");
        }
    }

    #[test]
    fn json_forms() {
        let r: FaultRule = serde_json::from_str(
            r#"{"command":"getInfo","nth":2,"action":{"type":"delay","ms":5}}"#,
        )
        .unwrap();
        assert_eq!(r.action, FaultAction::Delay { ms: 5 });
        let r: FaultRule = serde_json::from_str(r#"{"action":{"type":"system"}}"#).unwrap();
        assert_eq!(r.action, FaultAction::SystemError);
    }

    #[test]
    fn counting_per_rule() {
        let mut s = FaultState::new(vec![
            "createMailing:nth=2:drop".parse().unwrap(),
            "every=3:http500".parse().unwrap(),
            "getInfo:times=1:system".parse().unwrap(),
        ]);
        let fired: Vec<Option<String>> = [
            "createMailing",
            "createMailing",
            "getInfo",
            "getInfo",
            "createMailing",
            "getInfo",
        ]
        .iter()
        .map(|c| s.decide(c).map(|r| r.to_string()))
        .collect();
        assert_eq!(
            fired,
            vec![
                None,
                Some("createMailing:nth=2:drop".to_string()),
                Some("every=3:http500".to_string()),
                Some("getInfo:times=1:system".to_string()),
                None,
                Some("every=3:http500".to_string()),
            ]
        );
    }

    #[test]
    fn hostile_answers_are_made_from_the_real_one() {
        let body = "<?xml version=\"1.0\"?><mailItems><mailItem><result>OK</result>\
                    <trackingNumber>1Z999</trackingNumber><labelFormat>PNG</labelFormat><label>iVBOR</label>\
                    </mailItem></mailItems>";
        for name in ["nolabel", "badlabel", "entity", "redirect", "huge"] {
            let r: FaultRule = format!("createMailing:{name}").parse().unwrap();
            assert_eq!(r.to_string(), format!("createMailing:{name}"));
        }
        let none = tamper(&FaultAction::NoLabel, body);
        assert!(
            !none.contains("<label>") && !none.contains("labelFormat"),
            "{none}"
        );
        assert!(
            none.contains("<trackingNumber>1Z999</trackingNumber>"),
            "{none}"
        );
        let bad = tamper(&FaultAction::BadLabel, body);
        assert!(bad.contains("<label>bm90IGFu"), "{bad}");
        assert!(!bad.contains("iVBOR"), "{bad}");
        let lol = tamper(&FaultAction::Entity, body);
        assert!(
            lol.starts_with("<?xml version=\"1.0\"?><!DOCTYPE answer ["),
            "{lol}"
        );
        assert!(
            lol.contains("<trackingNumber>&lol9;</trackingNumber>"),
            "{lol}"
        );
        assert_eq!(tamper(&FaultAction::Drop, body), body);
    }
}
