//! The ACP sandbox over real loopback HTTP: every command and every error type it answers, the HTTP
//! encodings ACP takes, fault injection, the request log, persistence and the `data` size limit.
//!
//! Each test starts its own sandbox on 127.0.0.1:0 (`mawb::sandbox::start`) and talks to it with ureq or
//! a raw `TcpStream` (for the byte-exact cases: encodings, dropped connections, 405/413).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine as _;
use mawb::sandbox::{self, FaultRule, SandboxConfig, SandboxHandle};
use mawb::validate::checkdigit::{ups_check_digit, ups_tracking_number_valid};

const KEY: &str = "sbx-test-key-7f3a9c";

// ---------------------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------------------

struct Sb {
    handle: SandboxHandle,
    agent: ureq::Agent,
    key: String,
}

impl Sb {
    fn start() -> Sb {
        Sb::with(SandboxConfig::local(KEY))
    }

    fn with(config: SandboxConfig) -> Sb {
        let key = config.api_keys[0].clone();
        let handle = sandbox::start(config).expect("sandbox starts");
        Sb {
            handle,
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(60))
                .build(),
            key,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.handle.addr()
    }

    /// POSTs form fields (urlencoded) and returns the 200 body.
    fn post(&self, fields: &[(&str, &str)]) -> String {
        let resp = self
            .agent
            .post(&self.handle.endpoint())
            .send_form(fields)
            .expect("HTTP 200");
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.header("Content-Type"), Some("text/xml; charset=utf-8"));
        let mut body = String::new();
        resp.into_reader().read_to_string(&mut body).expect("body");
        body
    }

    /// One command with this sandbox's key.
    fn call(&self, command: &str, params: &[(&str, &str)], data: Option<&str>) -> String {
        let mut fields = vec![("apikey", self.key.as_str()), ("command", command)];
        fields.extend_from_slice(params);
        if let Some(d) = data {
            fields.push(("data", d));
        }
        self.post(&fields)
    }

    fn admin_get(&self, path: &str) -> String {
        let url = format!("http://{}{path}", self.addr());
        self.agent
            .get(&url)
            .call()
            .expect("admin GET")
            .into_string()
            .expect("admin body")
    }

    fn admin_post(&self, path: &str, body: &str) -> String {
        let url = format!("http://{}{path}", self.addr());
        match self.agent.post(&url).send_string(body) {
            Ok(r) => r.into_string().expect("admin body"),
            Err(ureq::Error::Status(code, r)) => {
                format!("{code} {}", r.into_string().unwrap_or_default())
            }
            Err(e) => panic!("admin POST {path}: {e}"),
        }
    }

    fn objects(&self) -> serde_json::Value {
        serde_json::from_str(&self.admin_get("/_admin/objects")).expect("objects JSON")
    }
}

/// A valid UPS tracking number, distinct per `n`.
fn tn(n: u32) -> String {
    let body = format!("WE311901{n:07}");
    format!("1Z{body}{}", ups_check_digit(body.as_bytes()).unwrap())
}

/// A valid MAWB number, distinct per `serial`.
fn mawb(serial: u32) -> String {
    format!("112-{serial:07}{}", serial % 7)
}

fn item_xml(tracking: Option<&str>, sid: &str, zip: &str, weight: &str, value: &str) -> String {
    let tn = tracking
        .map(|t| format!("<trackingNumber>{t}</trackingNumber>"))
        .unwrap_or_default();
    format!(
        "<mailItem>{tn}<shipperItemId>{sid}</shipperItemId>\
         <consignee><name>John Doe</name><addressLine1>9559 Collins Ave</addressLine1><city>Beverly Hills</city>\
         <state>CA</state><zip>{zip}</zip><country>US</country><email>john@example.com</email></consignee>\
         <value>{value}</value><currency>USD</currency><weight>{weight}</weight><weightUnitOfMeasure>kg</weightUnitOfMeasure>\
         <product><harmonizationCode>4901.99.0070</harmonizationCode><description>Book</description>\
         <quantity>1</quantity><value>{value}</value></product></mailItem>"
    )
}

fn request(inner: &str) -> String {
    format!("<shippingApiRequest>{inner}</shippingApiRequest>")
}

/// Registers items (label=0) and asserts they are all ok.
fn create_items(sb: &Sb, items: &[(String, &str)]) {
    let xml: String = items
        .iter()
        .map(|(t, sid)| item_xml(Some(t), sid, "90210", "1.125", "10.00"))
        .collect();
    let answer = sb.call("createMailing", &[("label", "0")], Some(&request(&xml)));
    assert_eq!(all(&answer, "result"), vec!["ok"; items.len()], "{answer}");
}

/// The texts of every `<tag>…</tag>` (not nested in itself), entities decoded.
fn all(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(
            after[..end]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        );
        rest = &after[end + close.len()..];
    }
    out
}

fn one(xml: &str, tag: &str) -> String {
    all(xml, tag)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no <{tag}> in {xml}"))
}

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64")
}

fn manifest_xml(mawb_no: &str, user_id: &str, parts: &[&[&str]]) -> String {
    let parts: String = parts
        .iter()
        .map(|units| {
            let units: String = units.iter().map(|u| format!("<unit><unitId>{u}</unitId></unit>")).collect();
            format!(
                "<manifestPart><departureFacility>LAX</departureFacility><departureDate>2026-11-24T10:00:00-08:00</departureDate>\
                 <arrivalFacility>JFK</arrivalFacility><arrivalDate>2026-11-24T18:40:00-05:00</arrivalDate>\
                 <carrier>AA</carrier><tripNumber>123</tripNumber>{units}</manifestPart>"
            )
        })
        .collect();
    let pdf = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4 scan");
    let csv = base64::engine::general_purpose::STANDARD.encode(b"hawb,weight\n1,1.0\n");
    request(&format!(
        "<manifest><userManifestId>{user_id}</userManifestId><manifestNumber>{mawb_no}</manifestNumber>\
         <shippingUnits>3</shippingUnits><userDefinedWeight>56.000</userDefinedWeight><userDefinedWeightUOM>kg</userDefinedWeightUOM>\
         <manifestImage><name>scan.pdf</name><data>{pdf}</data></manifestImage>\
         <manifestFile><name>hawbs.csv</name><data>{csv}</data></manifestFile>\
         <alertEmail>ops@example.com</alertEmail>{parts}</manifest>"
    ))
}

/// Sends raw bytes and reads until the server closes; returns (status line, headers, body).
fn raw(addr: SocketAddr, request: &[u8]) -> std::io::Result<(String, String, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    s.write_all(request)?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let (status, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    Ok((status.to_string(), headers.to_string(), body.to_string()))
}

fn raw_form(addr: SocketAddr, path: &str, body: &str) -> (String, String) {
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (status, _, body) = raw(addr, req.as_bytes()).expect("raw HTTP");
    (status, body)
}

fn multipart_body(fields: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----sbxBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

// ---------------------------------------------------------------------------------------------------------
// createMailing / cancelMailing
// ---------------------------------------------------------------------------------------------------------

#[test]
fn create_mailing_batch_is_per_item_and_repeats_conflict() {
    let sb = Sb::start();
    let bad = item_xml(Some(&tn(2)), "S-2", "90210", "0", "10.00");
    let data = request(&format!(
        "{}{bad}{}",
        item_xml(Some(&tn(1)), "S-1", "90210", "1.125", "10.00"),
        item_xml(Some(&tn(3)), "S-3", "10001", "2.5", "10.00")
    ));
    let answer = sb.call("createMailing", &[("label", "0")], Some(&data));
    assert_eq!(
        all(&answer, "result"),
        vec!["ok", "error", "ok"],
        "{answer}"
    );
    assert_eq!(all(&answer, "errorType"), vec!["invalid"]);
    assert!(
        one(&answer, "error").contains("weight '0' must be more than 0"),
        "{answer}"
    );
    assert_eq!(all(&answer, "destinationBag"), vec!["LAX", "JFK"]);
    assert_eq!(all(&answer, "trackingNumber"), vec![tn(1), tn(2), tn(3)]);

    // The same tracking number again: conflict carrying the existing item.
    let again = sb.call(
        "createMailing",
        &[("label", "0")],
        Some(&request(&item_xml(Some(&tn(1)), "S-9", "90210", "1", "1"))),
    );
    assert_eq!(one(&again, "errorType"), "conflict");
    let conflict = one(&again, "conflictMailItem");
    assert_eq!(one(&conflict, "trackingNumber"), tn(1));
    assert_eq!(one(&conflict, "shipperItemId"), "S-1");
    assert_eq!(one(&conflict, "weight"), "1.125");
    assert_eq!(one(&conflict, "status"), "New");
    assert_eq!(one(&conflict, "type"), "Direct");

    // The same shipperItemId with another tracking number: conflict too.
    let again = sb.call(
        "createMailing",
        &[("label", "0")],
        Some(&request(&item_xml(Some(&tn(4)), "S-3", "90210", "1", "1"))),
    );
    assert_eq!(one(&again, "errorType"), "conflict");
    assert_eq!(
        one(&one(&again, "conflictMailItem"), "trackingNumber"),
        tn(3)
    );

    // Field rules, one request each, precise messages.
    for (xml, needle) in [
        (
            item_xml(None, "S-5", "90210", "1", "1"),
            "trackingNumber is required with label=0",
        ),
        (
            item_xml(Some(&tn(5)), "S-5", "90210", "1", "1")
                .replace("<state>CA</state>", "<state>XX</state>"),
            "'XX' is not a US state code",
        ),
        (
            item_xml(Some(&tn(5)), "S-5", "90210", "1", "1").replace("USD", "EURO"),
            "'EURO' is not an ISO 4217",
        ),
        (
            item_xml(Some(&tn(5)), "S-5", "90210", "1", "900")
                .replace("<email>john@example.com</email>", ""),
            "email is required when the value is above 800 USD",
        ),
        (
            item_xml(Some(&tn(5)), "S-5", "90210", "1", "250")
                .replace("<value>250</value></product>", "</product>"),
            "unitValue or value is required",
        ),
        (
            item_xml(Some(&tn(5)), "S-5", "90210", "1", "1").replace("<name>John Doe</name>", ""),
            "consignee/name or consignee/companyName is required",
        ),
    ] {
        let answer = sb.call("createMailing", &[("label", "0")], Some(&request(&xml)));
        assert_eq!(one(&answer, "errorType"), "invalid", "{answer}");
        assert!(one(&answer, "error").contains(needle), "{needle}: {answer}");
    }
}

#[test]
fn create_mailing_with_labels() {
    let sb = Sb::start();
    let one_item =
        |sid: &str, weight: &str| request(&item_xml(None, sid, "60601", weight, "50.00"));
    let answer = sb.call(
        "createMailing",
        &[("label", "1")],
        Some(&one_item("L-1", "2.0")),
    );
    assert_eq!(one(&answer, "result"), "ok", "{answer}");
    let tracking = one(&answer, "trackingNumber");
    assert!(ups_tracking_number_valid(&tracking), "{tracking}");
    assert_eq!(one(&answer, "labelFormat"), "PNG");
    assert!(b64(&one(&answer, "label")).starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(one(&answer, "destinationBag"), "ORD");

    let answer = sb.call(
        "createMailing",
        &[("label", "3"), ("labelFormat", "PDF"), ("labelSize", "4x4")],
        Some(&one_item("L-2", "2.0")),
    );
    assert!(b64(&one(&answer, "label")).starts_with(b"%PDF"), "{answer}");
    assert_ne!(one(&answer, "trackingNumber"), tracking);
    let answer = sb.call(
        "createMailing",
        &[("label", "2"), ("labelFormat", "EPL2")],
        Some(&one_item("L-3", "2.0")),
    );
    assert!(
        String::from_utf8_lossy(&b64(&one(&answer, "label"))).contains("\nN\r\n"),
        "{answer}"
    );
    // FedEx international: two labels, PNGs zipped.
    let answer = sb.call(
        "createMailing",
        &[("label", "11")],
        Some(&one_item("L-4", "2.0")),
    );
    assert!(
        b64(&one(&answer, "label")).starts_with(b"PK\x03\x04"),
        "{answer}"
    );
    let answer = sb.call(
        "createMailing",
        &[("label", "14"), ("labelFormat", "PDF")],
        Some(&one_item("L-5", "2.0")),
    );
    assert!(b64(&one(&answer, "label")).starts_with(b"%PDF"), "{answer}");

    // Limits and shape rules.
    let answer = sb.call(
        "createMailing",
        &[("label", "1")],
        Some(&one_item("L-6", "7.0")),
    );
    assert!(
        one(&answer, "error").contains("above the 15 lb limit of label 1"),
        "{answer}"
    );
    let answer = sb.call(
        "createMailing",
        &[("label", "5")],
        Some(&one_item("L-6", "2.0").replace("50.00", "1500.00")),
    );
    assert!(
        one(&answer, "error").contains("1000 USD limit of label 5"),
        "{answer}"
    );
    let answer = sb.call(
        "createMailing",
        &[("label", "1")],
        Some(&request(&item_xml(Some(&tn(7)), "L-7", "1", "1", "1"))),
    );
    assert!(
        one(&answer, "error").contains("must not be sent with label=1"),
        "{answer}"
    );
    let two = request(&format!(
        "{}{}",
        item_xml(None, "L-8", "1", "1", "1"),
        item_xml(None, "L-9", "1", "1", "1")
    ));
    let answer = sb.call("createMailing", &[("label", "1")], Some(&two));
    assert_eq!(all(&answer, "errorType"), vec!["invalid", "invalid"]);
    assert!(
        one(&answer, "error").contains("exactly one mailItem"),
        "{answer}"
    );
    // A retried label call with the same shipperItemId meets its first item.
    let answer = sb.call(
        "createMailing",
        &[("label", "1")],
        Some(&one_item("L-1", "2.0")),
    );
    assert_eq!(one(&answer, "errorType"), "conflict");
    assert_eq!(
        one(&one(&answer, "conflictMailItem"), "trackingNumber"),
        tracking
    );

    // Parameter errors are the common error.
    for (params, needle) in [
        (vec![("label", "7")], "unknown label type 7"),
        (vec![], "missing parameter label"),
        (
            vec![("label", "1"), ("labelFormat", "GIF")],
            "labelFormat must be PNG, PDF or EPL2",
        ),
        (
            vec![("label", "1"), ("labelSize", "8x8")],
            "labelSize must be 4x4 or 4x6",
        ),
        (
            vec![("label", "0"), ("testMode", "2")],
            "testMode must be 0 or 1",
        ),
    ] {
        let answer = sb.call("createMailing", &params, Some(&one_item("L-10", "1")));
        assert!(!answer.contains("<mailItem>"), "{answer}");
        assert!(one(&answer, "error").contains(needle), "{needle}: {answer}");
    }
}

#[test]
fn cancel_mailing_by_either_id() {
    let sb = Sb::start();
    create_items(
        &sb,
        &[
            (tn(1), "C-1"),
            (tn(2), "C-2"),
            (tn(3), "C-3"),
            (tn(4), "C-4"),
        ],
    );
    let refs = |inner: &str| request(inner);
    let answer = sb.call(
        "cancelMailing",
        &[],
        Some(&refs(&format!(
            "<mailItem><trackingNumber>{}</trackingNumber></mailItem>\
             <mailItem><shipperItemId>C-2</shipperItemId></mailItem>\
             <mailItem><trackingNumber>{}</trackingNumber><shipperItemId>C-4</shipperItemId></mailItem>\
             <mailItem><trackingNumber>{}</trackingNumber></mailItem><mailItem/>",
            tn(1),
            tn(3),
            tn(99)
        ))),
    );
    assert_eq!(
        all(&answer, "result"),
        vec!["ok", "ok", "error", "error", "error"],
        "{answer}"
    );
    assert_eq!(
        all(&answer, "errorType"),
        vec!["notFound", "notFound", "invalid"]
    );
    assert!(answer.contains("name different mail items"), "{answer}");
    // Cancelled items can be created again (that is how ACP edits an item).
    create_items(&sb, &[(tn(1), "C-1")]);
    // An item in a bag cannot be cancelled.
    let bag = sb.call(
        "createBag",
        &[],
        Some(&refs(&format!(
            "<bag><mailItem><trackingNumber>{}</trackingNumber></mailItem></bag>",
            tn(3)
        ))),
    );
    let bag_id = one(&bag, "bagId");
    let answer = sb.call(
        "cancelMailing",
        &[],
        Some(&refs(
            "<mailItem><shipperItemId>C-3</shipperItemId></mailItem>",
        )),
    );
    assert_eq!(one(&answer, "errorType"), "conflict");
    assert!(
        one(&answer, "error").contains(&format!("is in bag {bag_id}")),
        "{answer}"
    );
    assert_eq!(one(&one(&answer, "conflictMailItem"), "bagId"), bag_id);
}

// ---------------------------------------------------------------------------------------------------------
// Bags and days
// ---------------------------------------------------------------------------------------------------------

#[test]
fn bags_create_cancel_and_their_errors() {
    let sb = Sb::start();
    create_items(
        &sb,
        &[
            (tn(1), "B-1"),
            (tn(2), "B-2"),
            (tn(3), "B-3"),
            (tn(4), "B-4"),
        ],
    );
    let first = sb.call(
        "createBag",
        &[],
        Some(&request(&format!(
            "<bag><shipperBagId>bag-1</shipperBagId><mailItem><trackingNumber>{}</trackingNumber></mailItem></bag>",
            tn(1)
        ))),
    );
    let bag1 = one(&first, "bagId");
    assert!(bag1.len() == 16 && bag1.starts_with("10000"), "{first}");

    let answer = sb.call(
        "createBag",
        &[("label", "1"), ("labelFormat", "PDF")],
        Some(&request(&format!(
            "<bag><shipperBagId>bag-2</shipperBagId><comment>Bag 2 of 2</comment>\
             <mailItem><trackingNumber>{}</trackingNumber></mailItem>\
             <mailItem><shipperItemId>B-3</shipperItemId></mailItem>\
             <mailItem><trackingNumber>{}</trackingNumber></mailItem>\
             <mailItem><trackingNumber>{}</trackingNumber></mailItem></bag>",
            tn(2),
            tn(1),
            tn(77)
        ))),
    );
    assert_eq!(
        all(&answer, "result"),
        vec!["ok", "error", "error"],
        "{answer}"
    );
    assert_eq!(all(&answer, "errorType"), vec!["conflict", "notFound"]);
    assert_eq!(one(&one(&answer, "conflictMailItem"), "bagId"), bag1);
    assert!(b64(&one(&answer, "label")).starts_with(b"%PDF"));
    let bag2 = one(&answer, "bagId");

    // shipperBagId repeat: conflict with the existing bag.
    let answer = sb.call(
        "createBag",
        &[],
        Some(&request(&format!("<bag><shipperBagId>bag-1</shipperBagId><mailItem><trackingNumber>{}</trackingNumber></mailItem></bag>", tn(4)))),
    );
    assert_eq!(one(&answer, "errorType"), "conflict");
    assert_eq!(one(&one(&answer, "conflictBag"), "bagId"), bag1);
    // No item fine: invalid, nothing created.
    let answer = sb.call(
        "createBag",
        &[],
        Some(&request(&format!(
            "<bag><mailItem><trackingNumber>{}</trackingNumber></mailItem></bag>",
            tn(88)
        ))),
    );
    assert_eq!(
        all(&answer, "errorType"),
        vec!["invalid", "notFound"],
        "{answer}"
    );
    assert!(!answer.contains("<bagId>"));

    // cancelBag: notFound; ok frees its items; a bag in a day conflicts.
    let answer = sb.call(
        "cancelBag",
        &[],
        Some(&request("<bag><bagId>1000099999999999</bagId></bag>")),
    );
    assert_eq!(one(&answer, "errorType"), "notFound");
    let answer = sb.call(
        "cancelBag",
        &[],
        Some(&request("<bag><shipperBagId>bag-2</shipperBagId></bag>")),
    );
    assert_eq!(one(&answer, "result"), "ok", "{answer}");
    assert_eq!(one(&answer, "bagId"), bag2);
    let answer = sb.call(
        "createBag",
        &[],
        Some(&request(&format!("<bag><mailItem><trackingNumber>{}</trackingNumber></mailItem><mailItem><shipperItemId>B-3</shipperItemId></mailItem></bag>", tn(2)))),
    );
    assert_eq!(all(&answer, "result"), vec!["ok"], "{answer}");
    assert_eq!(one(&sb.call("closeDay", &[], None), "result"), "ok");
    let answer = sb.call(
        "cancelBag",
        &[],
        Some(&request(&format!("<bag><bagId>{bag1}</bagId></bag>"))),
    );
    assert_eq!(one(&answer, "errorType"), "conflict", "{answer}");
    assert_eq!(one(&one(&answer, "conflictBag"), "shipperBagId"), "bag-1");
}

#[test]
fn days_close_reopen_create_cancel_and_get_info() {
    let sb = Sb::start();
    let answer = sb.call("closeDay", &[], None);
    assert_eq!(one(&answer, "errorType"), "empty", "{answer}");
    assert_eq!(
        one(&sb.call("reopenDay", &[], None), "errorType"),
        "notFound"
    );

    create_items(&sb, &[(tn(1), "D-1"), (tn(2), "D-2"), (tn(3), "D-3")]);
    let bag = sb.call("createBag", &[], Some(&request(&format!("<bag><shipperBagId>b1</shipperBagId><mailItem><trackingNumber>{}</trackingNumber></mailItem></bag>", tn(1)))));
    let bag_id = one(&bag, "bagId");
    let info = sb.call("getInfo", &[], None);
    assert_eq!(one(&info, "result"), "ok");
    assert_eq!(all(&info, "trackingNumber").len(), 3, "{info}");
    assert_eq!(
        all(&info, "bagId"),
        vec![bag_id.clone(), bag_id.clone()],
        "item 1 and the bag itself: {info}"
    );

    let answer = sb.call(
        "closeDay",
        &[("label", "1"), ("bagLabels", "1"), ("labelFormat", "PNG")],
        None,
    );
    assert_eq!(all(&answer, "result"), vec!["ok", "ok"], "{answer}");
    let day1 = one(&answer, "dayId");
    let labels = all(&answer, "label");
    assert_eq!(labels.len(), 2, "end-of-day label and one bag label");
    assert!(labels.iter().all(|l| b64(l).starts_with(b"\x89PNG")));
    assert_eq!(one(&one(&answer, "bag"), "bagId"), bag_id);
    let info = sb.call("getInfo", &[], None);
    assert!(
        !info.contains("<mailItem>") && !info.contains("<bag>"),
        "{info}"
    );
    assert_eq!(one(&sb.call("closeDay", &[], None), "errorType"), "empty");

    // reopenDay makes everything new again.
    let answer = sb.call("reopenDay", &[], None);
    assert_eq!(
        (one(&answer, "result"), one(&answer, "dayId")),
        ("ok".to_string(), day1.clone())
    );
    assert_eq!(
        all(&sb.call("getInfo", &[], None), "trackingNumber").len(),
        3
    );

    // createDay names its units; failing ones are listed.
    let answer = sb.call(
        "createDay",
        &[("label", "1")],
        Some(&request(&format!(
            "<day><shipperDayId>day-A</shipperDayId><bag><bagId>{bag_id}</bagId></bag><bag><bagId>1000077777777777</bagId></bag>\
             <mailItem><trackingNumber>{}</trackingNumber></mailItem><mailItem><trackingNumber>{}</trackingNumber></mailItem></day>",
            tn(2),
            tn(1)
        ))),
    );
    assert_eq!(one(&answer, "result"), "ok", "{answer}");
    let day_a = one(&answer, "dayId");
    assert_eq!(
        all(&answer, "errorType"),
        vec!["notFound", "conflict"],
        "{answer}"
    );
    assert!(answer.contains("name the bag instead"), "{answer}");
    assert!(!one(&answer, "label").is_empty());
    let answer = sb.call("createDay", &[], Some(&request(&format!("<day><shipperDayId>day-A</shipperDayId><mailItem><trackingNumber>{}</trackingNumber></mailItem></day>", tn(3)))));
    assert_eq!(one(&answer, "errorType"), "conflict");
    assert_eq!(one(&one(&answer, "conflictDay"), "dayId"), day_a);
    let answer = sb.call(
        "createDay",
        &[],
        Some(&request(&format!(
            "<day><mailItem><trackingNumber>{}</trackingNumber></mailItem></day>",
            tn(2)
        ))),
    );
    assert_eq!(
        all(&answer, "errorType"),
        vec!["invalid", "conflict"],
        "{answer}"
    );

    // cancelDay: notFound, ok; a day in a manifest conflicts (cancel and reopen).
    assert_eq!(
        one(
            &sb.call(
                "cancelDay",
                &[],
                Some(&request("<day><dayId>1</dayId></day>"))
            ),
            "errorType"
        ),
        "notFound"
    );
    let answer = sb.call(
        "cancelDay",
        &[],
        Some(&request("<day><shipperDayId>day-A</shipperDayId></day>")),
    );
    assert_eq!(one(&answer, "result"), "ok", "{answer}");
    let answer = sb.call("closeDay", &[], None);
    let day2 = one(&answer, "dayId");
    let m = sb.call(
        "createManifest",
        &[],
        Some(&manifest_xml(&mawb(4499545), "M-days", &[&[&day2]])),
    );
    assert_eq!(one(&m, "result"), "ok", "{m}");
    for (command, data) in [
        ("reopenDay", None),
        (
            "cancelDay",
            Some(request(&format!("<day><dayId>{day2}</dayId></day>"))),
        ),
    ] {
        let answer = sb.call(command, &[], data.as_deref());
        assert_eq!(one(&answer, "errorType"), "conflict", "{command}: {answer}");
        assert_eq!(one(&one(&answer, "conflictDay"), "dayId"), day2);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Manifests
// ---------------------------------------------------------------------------------------------------------

#[test]
fn manifests_create_get_modify_cancel() {
    let sb = Sb::start();
    create_items(
        &sb,
        &[
            (tn(1), "M-1"),
            (tn(2), "M-2"),
            (tn(3), "M-3"),
            (tn(4), "M-4"),
            (tn(5), "M-5"),
        ],
    );
    // weights: every item 1.125 kg; make one different to check the exact sum.
    sb.call(
        "cancelMailing",
        &[],
        Some(&request(&format!(
            "<mailItem><trackingNumber>{}</trackingNumber></mailItem>",
            tn(5)
        ))),
    );
    let heavy = sb.call(
        "createMailing",
        &[("label", "0")],
        Some(&request(&item_xml(
            Some(&tn(5)),
            "M-5",
            "90210",
            "0.333",
            "1",
        ))),
    );
    assert_eq!(one(&heavy, "result"), "ok");
    let bag = one(&sb.call("createBag", &[], Some(&request(&format!("<bag><mailItem><trackingNumber>{}</trackingNumber></mailItem><mailItem><trackingNumber>{}</trackingNumber></mailItem></bag>", tn(1), tn(2))))), "bagId");
    let day = {
        let b3 = one(
            &sb.call(
                "createBag",
                &[],
                Some(&request(&format!(
                    "<bag><mailItem><trackingNumber>{}</trackingNumber></mailItem></bag>",
                    tn(3)
                ))),
            ),
            "bagId",
        );
        let d = sb.call(
            "createDay",
            &[],
            Some(&request(&format!(
                "<day><bag><bagId>{b3}</bagId></bag></day>"
            ))),
        );
        one(&d, "dayId")
    };
    let data = manifest_xml(
        &mawb(4499545),
        "WH-1",
        &[&[&bag, &tn(4), "NOPE-1"], &[&day, &tn(5), &tn(4)]],
    );
    let answer = sb.call("createManifest", &[], Some(&data));
    assert_eq!(one(&answer, "result"), "ok", "{answer}");
    let manifest_id = one(&answer, "manifestId");
    assert!(manifest_id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(one(&answer, "userManifestId"), "WH-1");
    let unit = one(&answer, "unit");
    assert_eq!(
        (one(&unit, "errorType"), one(&unit, "unitId")),
        ("notFound".to_string(), "NOPE-1".to_string())
    );

    let got = sb.call(
        "getManifest",
        &[],
        Some(&request(&format!(
            "<manifest><manifestId>{manifest_id}</manifestId></manifest>"
        ))),
    );
    assert_eq!(one(&got, "result"), "ok", "{got}");
    assert_eq!(one(&got, "manifestNumber"), mawb(4499545));
    // items 1,2 (bag) + 4 + 3 (day) + 5 = 5 items; bags: bag + b3; days: 1; parts 2.
    let counts: Vec<String> = ["numItems", "numBags", "numDays", "numParts"]
        .iter()
        .map(|t| one(&got, t))
        .collect();
    assert_eq!(counts, vec!["5", "2", "1", "2"], "{got}");
    assert_eq!(one(&got, "weight"), "4.833", "4 x 1.125 + 0.333: {got}");
    assert_eq!(
        all(&got, "numItems"),
        vec!["5", "3", "3"],
        "manifest, part 1, part 2"
    );
    assert_eq!(
        all(&got, "consignee").len(),
        6,
        "full items per part: 3 + 3"
    );

    // Conflicts: same userManifestId; a unit already in this manifest.
    let answer = sb.call(
        "createManifest",
        &[],
        Some(&manifest_xml(&mawb(1234567), "WH-1", &[&[&tn(4)]])),
    );
    assert_eq!(one(&answer, "errorType"), "conflict", "{answer}");
    assert_eq!(
        one(&one(&answer, "conflictManifest"), "manifestId"),
        manifest_id
    );
    assert_eq!(one(&one(&answer, "conflictManifest"), "numItems"), "5");
    let answer = sb.call(
        "createManifest",
        &[],
        Some(&manifest_xml(&mawb(1234567), "WH-2", &[&[&tn(4), &tn(1)]])),
    );
    assert_eq!(
        one(&answer, "errorType"),
        "invalid",
        "no unit could be included: {answer}"
    );
    assert_eq!(all(&answer, "unitType"), vec!["mailItem", "mailItem"]);
    assert_eq!(one(&one(&answer, "unit"), "errorType"), "conflict");
    assert_eq!(
        one(&one(&answer, "conflictMailItem"), "trackingNumber"),
        tn(4)
    );

    // modifyManifest replaces it all; notFound for an unknown id.
    let modified = manifest_xml(&mawb(4499545), "WH-1", &[&[&tn(4)]]).replace(
        "<manifest>",
        &format!("<manifest><manifestId>{manifest_id}</manifestId>"),
    );
    let answer = sb.call("modifyManifest", &[], Some(&modified));
    assert_eq!(
        (one(&answer, "result"), one(&answer, "manifestId")),
        ("ok".to_string(), manifest_id.clone()),
        "{answer}"
    );
    let got = sb.call(
        "getManifest",
        &[],
        Some(&request(
            "<manifest><userManifestId>WH-1</userManifestId></manifest>",
        )),
    );
    assert_eq!(
        (
            one(&got, "numItems"),
            one(&got, "weight"),
            one(&got, "numParts")
        ),
        ("1".into(), "1.125".into(), "1".into())
    );
    let answer = sb.call(
        "modifyManifest",
        &[],
        Some(&modified.replace(&manifest_id, "999")),
    );
    assert_eq!(one(&answer, "errorType"), "notFound");

    // Field rules.
    for (data, needle) in [
        (
            manifest_xml(&mawb(4499545), "X", &[&[&bag]]).replace("112-44995451", "112-44995452"),
            "the serial modulo 7 is 1",
        ),
        (
            manifest_xml(&mawb(4499545), "X", &[]),
            "at least one manifestPart",
        ),
        (
            manifest_xml(&mawb(4499545), "X", &[&[&bag]])
                .replace("2026-11-24T10:00:00-08:00", "2026-11-24 10:00"),
            "departureDate",
        ),
        (
            manifest_xml(&mawb(4499545), "X", &[&[&bag]])
                .replace("<userDefinedWeightUOM>kg", "<userDefinedWeightUOM>g"),
            "must be kg or lb",
        ),
        (
            manifest_xml(&mawb(4499545), "X", &[&[&bag]])
                .replace("JVBERi0xLjQgc2Nhbg==", "R0lGODlh"),
            "manifestImage is of an unknown type",
        ),
        (
            manifest_xml(&mawb(4499545), "X", &[&[&bag]]).replace("JVBERi0xLjQgc2Nhbg==", "!!!"),
            "not valid base64",
        ),
    ] {
        let answer = sb.call("createManifest", &[], Some(&data));
        assert_eq!(one(&answer, "errorType"), "invalid", "{needle}: {answer}");
        assert!(one(&answer, "error").contains(needle), "{needle}: {answer}");
    }
    // An xlsx passed off as the HAWB file is refused by content.
    let xlsx = {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file(
            "[Content_Types].xml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        w.write_all(b"<Types/>").unwrap();
        base64::engine::general_purpose::STANDARD.encode(w.finish().unwrap().into_inner())
    };
    let data =
        manifest_xml(&mawb(4499545), "X", &[&[&bag]]).replace("aGF3Yix3ZWlnaHQKMSwxLjAK", &xlsx);
    assert!(one(&sb.call("createManifest", &[], Some(&data)), "error").contains("XLSX"));

    // cancelManifest: notFound, sent, ok.
    let answer = sb.call(
        "cancelManifest",
        &[],
        Some(&request("<manifest><manifestId>42</manifestId></manifest>")),
    );
    assert_eq!(one(&answer, "errorType"), "notFound");
    let other = sb.call(
        "createManifest",
        &[],
        Some(&manifest_xml(&mawb(7654321), "WH-3", &[&[&bag]])),
    );
    let other_id = one(&other, "manifestId");
    assert!(sb
        .admin_post(&format!("/_admin/mark-sent?manifestId={other_id}"), "")
        .contains("\"ok\":true"));
    let answer = sb.call(
        "cancelManifest",
        &[],
        Some(&request(
            "<manifest><userManifestId>WH-3</userManifestId></manifest>",
        )),
    );
    assert_eq!(one(&answer, "errorType"), "sent", "{answer}");
    let info = sb.call(
        "getManifest",
        &[],
        Some(&request(&format!(
            "<manifest><manifestId>{other_id}</manifestId></manifest>"
        ))),
    );
    assert!(info.contains("<status>Picked Up</status>"), "{info}");
    let answer = sb.call(
        "cancelManifest",
        &[],
        Some(&request(&format!(
            "<manifest><manifestId>{manifest_id}</manifestId></manifest>"
        ))),
    );
    assert_eq!(one(&answer, "result"), "ok", "{answer}");
    assert_eq!(
        one(
            &sb.call(
                "getManifest",
                &[],
                Some(&request(
                    "<manifest><userManifestId>WH-1</userManifestId></manifest>"
                ))
            ),
            "errorType"
        ),
        "notFound"
    );

    // The admin view matches.
    let objects = sb.objects();
    let manifests = objects["accounts"][0]["manifests"].as_array().unwrap();
    assert_eq!(manifests.len(), 1);
    assert_eq!(manifests[0]["manifestId"], other_id.as_str());
    assert_eq!(manifests[0]["numItems"], 2);
    assert_eq!(manifests[0]["sent"], true);
}

#[test]
fn manifest_data_size_limit_is_exact() {
    let sb = Sb::start();
    create_items(&sb, &[(tn(1), "Z-1")]);
    let base = manifest_xml(&mawb(4499545), "BIG", &[&[&tn(1)]]);
    let cut = base.find("<shippingUnits>").unwrap();
    let sized = |total: usize| {
        let mut s = String::with_capacity(total);
        s.push_str(&base[..cut]);
        s.extend(std::iter::repeat_n(' ', total - base.len()));
        s.push_str(&base[cut..]);
        assert_eq!(s.len(), total);
        s
    };
    let send = |data: String| {
        let (ct, body) = multipart_body(&[
            ("apikey", KEY.as_bytes()),
            ("command", b"createManifest"),
            ("data", data.as_bytes()),
        ]);
        let resp = sb
            .agent
            .post(&sb.handle.endpoint())
            .set("Content-Type", &ct)
            .send_bytes(&body)
            .expect("200");
        resp.into_string().unwrap()
    };
    let answer = send(sized(49_999_000));
    assert_eq!(one(&answer, "errorType"), "invalid", "{answer}");
    assert!(
        one(&answer, "error").contains("data is 49999000 bytes"),
        "{answer}"
    );
    let answer = send(sized(49_998_999));
    assert_eq!(one(&answer, "result"), "ok", "{answer}");
}

// ---------------------------------------------------------------------------------------------------------
// HTTP: encodings, common errors, methods, limits
// ---------------------------------------------------------------------------------------------------------

#[test]
fn raw_http_encodings_and_common_errors() {
    let sb = Sb::start();
    let addr = sb.addr();
    // urlencoded with every reserved character in values, on a path without trailing slash.
    let sid = "A+B %20&C=D#E?F";
    let data = request(&item_xml(Some(&tn(1)), "SID", "90210", "1", "1"))
        .replace("SID", "A+B %20&amp;C=D#E?F");
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("apikey", KEY)
        .append_pair("command", "createMailing")
        .append_pair("label", "0")
        .append_pair("testMode", "1")
        .append_pair("data", &data)
        .finish();
    assert!(
        body.contains("%2B")
            && body.contains("%25")
            && body.contains("%26")
            && body.contains("%3D")
            && body.contains("%23")
            && body.contains("%3F")
    );
    let (status, answer) = raw_form(addr, "/shipping/api", &body);
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(one(&answer, "result"), "ok", "{answer}");
    assert_eq!(one(&answer, "shipperItemId"), sid);
    // '+' for spaces, as HTML forms send them.
    let (_, answer) = raw_form(
        addr,
        "/",
        &format!("apikey={KEY}&command=getInfo&testMode=0&x=a+b"),
    );
    assert_eq!(one(&answer, "shipperItemId"), sid, "{answer}");

    // multipart.
    let (ct, mp) = multipart_body(&[
        ("apikey", KEY.as_bytes()),
        ("command", b"createMailing"),
        ("label", b"0"),
        (
            "data",
            request(&item_xml(Some(&tn(2)), "MP-1", "90210", "1", "1")).as_bytes(),
        ),
    ]);
    let mut req = format!("POST /api/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n", mp.len()).into_bytes();
    req.extend_from_slice(&mp);
    let (status, _, answer) = raw(addr, &req).unwrap();
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(one(&answer, "result"), "ok", "{answer}");

    // Common errors: 200 with <shippingApiResponse><error>.
    for (body, needle) in [
        ("command=getInfo".to_string(), "missing parameter apikey"),
        ("apikey=wrong&command=getInfo".to_string(), "invalid apikey"),
        (format!("apikey={KEY}"), "missing parameter command"),
        (
            format!("apikey={KEY}&command=shipIt"),
            "unknown command 'shipIt'",
        ),
        (
            format!("apikey={KEY}&command=createBag"),
            "missing parameter data",
        ),
        (
            format!("apikey={KEY}&command=createBag&data=%3Cbag%2F%3E"),
            "root element is <bag>",
        ),
        (
            format!("apikey={KEY}&command=createBag&data=%3CshippingApiRequest%3E"),
            "ends inside",
        ),
        (
            format!("apikey={KEY}&command=closeDay&label=2"),
            "must be 0 or 1",
        ),
    ] {
        let (status, answer) = raw_form(addr, "/", &body);
        assert!(status.contains(" 200 "), "{status}");
        assert!(answer.contains("<shippingApiResponse><error>"), "{answer}");
        assert!(one(&answer, "error").contains(needle), "{needle}: {answer}");
        assert!(!answer.contains("wrong"), "the key is never echoed");
    }
    // GET: 405 with the common error body.
    let (status, headers, body) = raw(
        addr,
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert!(status.contains(" 405 "), "{status}");
    assert!(headers.to_ascii_lowercase().contains("allow: post"));
    assert!(
        body.contains("<shippingApiResponse><error>method GET not allowed"),
        "{body}"
    );
    // Other content types.
    let (status, _, body) = raw(addr, b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}").unwrap();
    assert!(
        status.contains(" 200 ") && body.contains("unsupported Content-Type"),
        "{body}"
    );
    // A body over 64 MiB: 413 before reading it.
    let (status, _, body) = raw(addr, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 70000000\r\n\r\n").unwrap();
    assert!(status.contains(" 413 "), "{status}");
    assert!(body.contains("larger than 67108864 bytes"), "{body}");
    // Still serving.
    assert_eq!(one(&sb.call("getInfo", &[], None), "result"), "ok");
}

// ---------------------------------------------------------------------------------------------------------
// Faults, request log, accounts, persistence, concurrency
// ---------------------------------------------------------------------------------------------------------

#[test]
fn fault_injection_http500_drop_delay_system() {
    let mut config = SandboxConfig::local(KEY);
    config.faults = vec![
        "getInfo:nth=2:http500".parse::<FaultRule>().unwrap(),
        "closeDay:times=1:system".parse().unwrap(),
    ];
    let sb = Sb::with(config);
    assert_eq!(one(&sb.call("getInfo", &[], None), "result"), "ok");
    match sb
        .agent
        .post(&sb.handle.endpoint())
        .send_form(&[("apikey", KEY), ("command", "getInfo")])
    {
        Err(ureq::Error::Status(500, _)) => {}
        other => panic!("expected HTTP 500, got {other:?}"),
    }
    assert_eq!(one(&sb.call("getInfo", &[], None), "result"), "ok");
    let answer = sb.call("closeDay", &[], None);
    assert_eq!(one(&answer, "errorType"), "system", "{answer}");
    assert_eq!(one(&sb.call("closeDay", &[], None), "errorType"), "empty");

    // drop: processed, but the client sees the connection close without an answer.
    let set = sb.admin_post(
        "/_admin/faults",
        r#"["createMailing:nth=1:drop", {"command":"getInfo","action":{"type":"delay","ms":300}}]"#,
    );
    assert!(set.contains("\"rules\":2"), "{set}");
    let data = request(&item_xml(Some(&tn(1)), "DROP-1", "90210", "1", "1"));
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("apikey", KEY),
            ("command", "createMailing"),
            ("label", "0"),
            ("data", &data),
        ])
        .finish();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    match raw(sb.addr(), req.as_bytes()) {
        Ok((status, _, _)) => assert!(status.is_empty(), "no answer expected, got {status}"),
        Err(e) => assert!(
            matches!(e.kind(), std::io::ErrorKind::ConnectionReset),
            "{e}"
        ),
    }
    let objects = sb.objects();
    assert_eq!(
        objects["accounts"][0]["items"][0]["shipperItemId"], "DROP-1",
        "the dropped request was processed"
    );
    // The retry meets conflict with the item it created: the retry-safety the pipeline relies on.
    let retry = sb.call("createMailing", &[("label", "0")], Some(&data));
    assert_eq!(one(&retry, "errorType"), "conflict");
    // delay.
    let t = Instant::now();
    assert_eq!(one(&sb.call("getInfo", &[], None), "result"), "ok");
    assert!(t.elapsed() >= Duration::from_millis(300));
    let listed = sb.admin_get("/_admin/faults");
    assert!(listed.contains("\"delay\""), "{listed}");
    assert!(sb
        .admin_post("/_admin/faults", "[\"nonsense\"]")
        .starts_with("400"));
    let url = format!("http://{}/_admin/faults", sb.addr());
    sb.agent.delete(&url).call().unwrap();
    assert_eq!(sb.admin_get("/_admin/faults"), "[]");
}

#[test]
fn request_log_records_every_call_and_never_the_key() {
    let dir = temp_dir("log");
    let log = dir.join("requests.jsonl");
    let mut config = SandboxConfig::local(KEY);
    config.request_log = Some(log.clone());
    let sb = Sb::with(config);
    sb.call("getInfo", &[("testMode", "1")], None);
    create_items(&sb, &[(tn(1), "LOG-1")]);
    raw_form(sb.addr(), "/", &format!("apikey={KEY}x&command=getInfo"));
    raw_form(
        sb.addr(),
        "/",
        &format!("command=getInfo&apikey={KEY}&data=abc"),
    );
    let memory = sb.admin_get("/_admin/requests");
    let file = std::fs::read_to_string(&log).unwrap();
    assert_eq!(memory, file);
    assert!(!memory.contains(KEY), "{memory}");
    let lines: Vec<serde_json::Value> = memory
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    use sha2::Digest as _;
    let fp: String = sha2::Sha256::digest(KEY.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .take(6)
        .collect();
    assert_eq!(lines[0]["account"], fp.as_str());
    assert_eq!(lines[0]["test_mode"], true);
    assert_eq!(lines[0]["command"], "getInfo");
    assert_eq!(lines[0]["outcome"], "ok");
    assert_eq!(lines[0]["content_type"], "form");
    assert_eq!(lines[1]["command"], "createMailing");
    assert!(lines[1]["data_bytes"].as_u64().unwrap() > 300);
    assert_eq!(lines[2]["account"], serde_json::Value::Null);
    assert_eq!(lines[2]["outcome"], "error");
    assert_eq!(
        (lines[3]["seq"].as_u64(), lines[3]["fault"].clone()),
        (Some(4), serde_json::Value::Null)
    );
    sb.admin_post("/_admin/reset", "");
    assert_eq!(sb.admin_get("/_admin/requests"), "");
    assert_eq!(
        sb.objects()["accounts"][0]["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    drop(sb);
    let _ = std::fs::remove_dir_all(dir);
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir =
        std::env::temp_dir().join(format!("mawb-sandbox-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn state_survives_a_restart_with_a_db_file() {
    let dir = temp_dir("db");
    let mut config = SandboxConfig::local(KEY);
    config.db = Some(dir.join("sandbox.sqlite"));
    let sb = Sb::with(config.clone());
    create_items(&sb, &[(tn(1), "P-1"), (tn(2), "P-2")]);
    let bag = one(
        &sb.call(
            "createBag",
            &[],
            Some(&request(&format!(
                "<bag><mailItem><trackingNumber>{}</trackingNumber></mailItem></bag>",
                tn(1)
            ))),
        ),
        "bagId",
    );
    sb.handle.shutdown();

    let sb = Sb::with(config);
    let again = sb.call(
        "createMailing",
        &[("label", "0")],
        Some(&request(&item_xml(Some(&tn(2)), "P-2", "90210", "1", "1"))),
    );
    assert_eq!(one(&again, "errorType"), "conflict", "{again}");
    let info = sb.call("getInfo", &[], None);
    assert_eq!(all(&info, "trackingNumber").len(), 2);
    assert!(info.contains(&bag));
    let next = one(
        &sb.call(
            "createBag",
            &[],
            Some(&request(&format!(
                "<bag><mailItem><trackingNumber>{}</trackingNumber></mailItem></bag>",
                tn(2)
            ))),
        ),
        "bagId",
    );
    assert!(next > bag, "ids continue after a restart: {next} > {bag}");
    drop(sb);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn accounts_are_separate_and_requests_concurrent() {
    let mut config = SandboxConfig::local(KEY);
    config.api_keys.push("second-key".to_string());
    let sb = Sb::with(config);
    create_items(&sb, &[(tn(1), "A-1")]);
    let b_call = |command: &str, params: &[(&str, &str)], data: Option<&str>| {
        let mut fields = vec![("apikey", "second-key"), ("command", command)];
        fields.extend_from_slice(params);
        if let Some(d) = data {
            fields.push(("data", d));
        }
        sb.post(&fields)
    };
    assert!(!b_call("getInfo", &[], None).contains("<mailItem>"));
    let same = b_call(
        "createMailing",
        &[("label", "0")],
        Some(&request(&item_xml(Some(&tn(1)), "A-1", "90210", "1", "1"))),
    );
    assert_eq!(
        one(&same, "result"),
        "ok",
        "the same ids in another account: {same}"
    );

    let endpoint = sb.handle.endpoint();
    let threads: Vec<_> = (0..4u32)
        .map(|t| {
            let endpoint = endpoint.clone();
            std::thread::spawn(move || {
                let agent = ureq::Agent::new();
                for i in 0..15u32 {
                    let n = 1000 + t * 100 + i;
                    let data = request(&item_xml(
                        Some(&tn(n)),
                        &format!("T-{n}"),
                        "90210",
                        "1",
                        "1",
                    ));
                    let r = agent
                        .post(&endpoint)
                        .send_form(&[
                            ("apikey", KEY),
                            ("command", "createMailing"),
                            ("label", "0"),
                            ("data", &data),
                        ])
                        .unwrap()
                        .into_string()
                        .unwrap();
                    assert_eq!(one(&r, "result"), "ok", "{r}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let objects = sb.objects();
    let counts: Vec<usize> = objects["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["items"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, vec![61, 1]);
}

// ---------------------------------------------------------------------------------------------------------
// Throughput (run: cargo test --release --test sandbox_http -- --ignored --nocapture)
// ---------------------------------------------------------------------------------------------------------

#[test]
#[ignore]
fn throughput() {
    let sb = Sb::start();
    let batches = 40u32;
    let bodies: Vec<String> = (0..batches)
        .map(|b| {
            let xml: String = (0..500u32)
                .map(|i| {
                    item_xml(
                        Some(&tn(b * 500 + i)),
                        &format!("P-{b}-{i}"),
                        "90210",
                        "1.125",
                        "10.00",
                    )
                })
                .collect();
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("apikey", KEY),
                    ("command", "createMailing"),
                    ("label", "0"),
                    ("data", &request(&xml)),
                ])
                .finish()
        })
        .collect();
    let t = Instant::now();
    for body in &bodies {
        let r = sb
            .agent
            .post(&sb.handle.endpoint())
            .set("Content-Type", "application/x-www-form-urlencoded")
            .send_string(body)
            .unwrap()
            .into_string()
            .unwrap();
        assert!(!r.contains("<result>error"), "{}", &r[..500.min(r.len())]);
    }
    let secs = t.elapsed().as_secs_f64();
    let items = f64::from(batches * 500);
    println!("createMailing label=0, batches of 500 (urlencoded): {:.0} items/s ({items} items in {secs:.2} s)", items / secs);

    // The same batches as multipart/form-data (what large payloads use: no percent-encoding).
    sb.admin_post("/_admin/reset", "");
    let parts: Vec<(String, Vec<u8>)> = (0..batches)
        .map(|b| {
            let xml: String = (0..500u32)
                .map(|i| {
                    item_xml(
                        Some(&tn(b * 500 + i)),
                        &format!("P-{b}-{i}"),
                        "90210",
                        "1.125",
                        "10.00",
                    )
                })
                .collect();
            multipart_body(&[
                ("apikey", KEY.as_bytes()),
                ("command", b"createMailing"),
                ("label", b"0"),
                ("data", request(&xml).as_bytes()),
            ])
        })
        .collect();
    let t = Instant::now();
    for (ct, body) in &parts {
        let r = sb
            .agent
            .post(&sb.handle.endpoint())
            .set("Content-Type", ct)
            .send_bytes(body)
            .unwrap()
            .into_string()
            .unwrap();
        assert!(!r.contains("<result>error"), "{}", &r[..500.min(r.len())]);
    }
    let secs = t.elapsed().as_secs_f64();
    println!("createMailing label=0, batches of 500 (multipart): {:.0} items/s ({items} items in {secs:.2} s)", items / secs);

    let n = 200u32;
    let t = Instant::now();
    for i in 0..n {
        let r = sb.call(
            "createMailing",
            &[("label", "1")],
            Some(&request(&item_xml(
                None,
                &format!("LBL-{i}"),
                "90210",
                "1.0",
                "10.00",
            ))),
        );
        assert!(r.contains("<label>"), "{r}");
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "createMailing label=1 PNG, one item per call: {:.0} calls/s ({n} in {secs:.2} s)",
        f64::from(n) / secs
    );
}
