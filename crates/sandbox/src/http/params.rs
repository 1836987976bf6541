//! The POSTed parameters: read from form-urlencoded or multipart/form-data bodies, and checked per command
//! like ACP checks them (the common error names the parameter and what it must be).

use bytes::Bytes;
use http_body_util::{BodyDataStream, Full};

use crate::rules;
use mawb_model::codes;
use mawb_wire::wire::{self, Command, LabelFormat, LabelSize};

/// The POSTed parameters the sandbox reads (first occurrence wins; unknown ones are ignored).
#[derive(Default)]
pub(super) struct Form {
    pub(super) apikey: Option<String>,
    pub(super) command: Option<String>,
    pub(super) data: Option<String>,
    pub(super) test_mode: Option<String>,
    pub(super) label: Option<String>,
    pub(super) label_format: Option<String>,
    pub(super) label_size: Option<String>,
    pub(super) express_clearance: Option<String>,
    pub(super) ddp: Option<String>,
    pub(super) bag_labels: Option<String>,
    pub(super) airport: Option<String>,
}

impl Form {
    fn slot(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "apikey" => &mut self.apikey,
            "command" => &mut self.command,
            "data" => &mut self.data,
            "testMode" => &mut self.test_mode,
            "label" => &mut self.label,
            "labelFormat" => &mut self.label_format,
            "labelSize" => &mut self.label_size,
            "expressClearance" => &mut self.express_clearance,
            "ddp" => &mut self.ddp,
            "bagLabels" => &mut self.bag_labels,
            "airport" => &mut self.airport,
            _ => return None,
        })
    }

    fn set(
        &mut self,
        name: &str,
        value: impl FnOnce() -> Result<String, String>,
    ) -> Result<(), String> {
        if let Some(slot) = self.slot(name) {
            if slot.is_none() {
                *slot = Some(value()?);
            }
        }
        Ok(())
    }
}

pub(super) fn parse_urlencoded(body: &[u8]) -> Form {
    let mut form = Form::default();
    for (name, value) in form_urlencoded::parse(body) {
        let _ = form.set(&name, || Ok(value.into_owned()));
    }
    form
}

pub(super) async fn parse_multipart(body: Bytes, content_type: &str) -> Result<Form, String> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| format!("multipart/form-data without a usable boundary: {e}"))?;
    let stream = BodyDataStream::new(Full::new(body));
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut form = Form::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(format!("malformed multipart/form-data body: {e}")),
        };
        let name = field.name().unwrap_or("").to_string();
        if form.slot(&name).is_none_or(|s| s.is_some()) {
            continue;
        }
        let bytes = field
            .bytes()
            .await
            .map_err(|e| format!("malformed multipart field {name}: {e}"))?;
        form.set(&name, || {
            String::from_utf8(bytes.into())
                .map_err(|_| format!("parameter {name} is not UTF-8 text"))
        })?;
    }
    Ok(form)
}

fn flag(name: &str, value: &Option<String>) -> Result<Option<bool>, String> {
    match value.as_deref() {
        None => Ok(None),
        Some("0") => Ok(Some(false)),
        Some("1") => Ok(Some(true)),
        Some(other) => Err(format!(
            "parameter {name} must be 0 or 1, not '{}'",
            clip(other)
        )),
    }
}

pub(super) fn clip(text: &str) -> String {
    let mut s: String = text.chars().take(40).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

/// The command's parameters, checked like ACP checks them.
pub(super) fn call_params(command: Command, form: &Form) -> Result<wire::Params, String> {
    let mut p = wire::Params {
        test_mode: flag("testMode", &form.test_mode)?.unwrap_or(false),
        express_clearance: flag("expressClearance", &form.express_clearance)?,
        ddp: flag("ddp", &form.ddp)?,
        bag_labels: flag("bagLabels", &form.bag_labels)?,
        ..Default::default()
    };
    if let Some(f) = &form.label_format {
        p.label_format = Some(LabelFormat::parse(f).ok_or_else(|| {
            format!(
                "parameter labelFormat must be PNG, PDF or EPL2, not '{}'",
                clip(f)
            )
        })?);
    }
    if let Some(s) = &form.label_size {
        p.label_size =
            Some(LabelSize::parse(s).ok_or_else(|| {
                format!("parameter labelSize must be 4x4 or 4x6, not '{}'", clip(s))
            })?);
    }
    if let Some(a) = &form.airport {
        if !codes::is_iata_airport(a) {
            return Err(format!(
                "parameter airport must be a 3-letter IATA code, not '{}'",
                clip(a)
            ));
        }
        p.airport = Some(a.clone());
    }
    let label: Option<u8> = match &form.label {
        None => None,
        Some(l) => Some(
            l.parse()
                .map_err(|_| format!("parameter label must be a number, not '{}'", clip(l)))?,
        ),
    };
    match command {
        Command::CreateMailing => {
            let l = label.ok_or("missing parameter label (0 without a label, or a label type)")?;
            if !rules::label_known(l) {
                return Err(format!("parameter label: unknown label type {l}"));
            }
            p.label = Some(l);
        }
        Command::CreateBag | Command::CloseDay | Command::CreateDay => {
            if let Some(l) = label {
                if l > 1 {
                    return Err(format!(
                        "parameter label must be 0 or 1 for {command}, not {l}"
                    ));
                }
            }
            p.label = label;
        }
        _ => {}
    }
    Ok(p)
}
