//! `mpkit qrcode`: the QR code that launches a mini program in a target app,
//! or a pilot's trial code.

use crate::files::write_atomic;
use crate::output::Output;
use crate::session::Session;
use anyhow::Result;
use clap::{Args, ValueEnum};
use serde_json::json;
use std::path::PathBuf;

/// `mpkit qrcode`.
#[derive(Debug, Args)]
pub(crate) struct QrcodeArgs {
    /// The mini program.
    #[arg(long)]
    app: String,
    /// The target app.
    #[arg(long)]
    target: String,
    /// A release in pilot testing: its trial code.
    #[arg(long, value_name = "ID")]
    release: Option<String>,
    /// Image format; default from --out's extension (.png), else svg.
    #[arg(long, value_enum)]
    format: Option<QrFormat>,
    /// Where to write the image.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum QrFormat {
    Svg,
    Png,
}

impl QrFormat {
    fn as_str(self) -> &'static str {
        match self {
            QrFormat::Svg => "svg",
            QrFormat::Png => "png",
        }
    }
}

pub(crate) fn run(args: QrcodeArgs, o: &mut Output<'_>) -> Result<()> {
    let (app, target, release, format, out) = (
        args.app.as_str(),
        args.target.as_str(),
        args.release.as_deref(),
        args.format,
        args.out.as_path(),
    );
    let format = format.unwrap_or_else(|| match out.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("png") => QrFormat::Png,
        _ => QrFormat::Svg,
    });
    let s = Session::open()?;
    let what = match release {
        Some(r) => format!("downloading the trial QR code of release {r}"),
        None => format!("downloading the QR code of {app} in {target}"),
    };
    let bytes = s.call(what, s.client.qr(app, target, format.as_str(), release))?;
    write_atomic(out, &bytes)?;
    o.emit(
        &json!({"ok": true, "out": out, "format": format.as_str(), "bytes": bytes.len(), "release": release}),
        || {
            format!(
                "wrote {} ({}, {} bytes)",
                out.display(),
                format.as_str(),
                bytes.len()
            )
        },
    )?;
    Ok(())
}
