//! QR codes that open a mini program in a target app: SVG through the qrcode
//! crate's renderer, PNG through a small encoder of our own (grayscale,
//! zlib-compressed, CRC-checked chunks) so no image library is needed.

use flate2::write::ZlibEncoder;
use qrcode::{Color, EcLevel, QrCode};
use std::io::Write;

/// Pixels per module, and the quiet zone in modules.
const SCALE: usize = 8;
const QUIET: usize = 4;

fn code(text: &str) -> Result<QrCode, String> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| e.to_string())
}

/// The QR code of `text` as SVG.
pub(crate) fn svg(text: &str) -> Result<String, String> {
    let c = code(text)?;
    Ok(c.render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build())
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// The QR code of `text` as a PNG (8-bit grayscale).
pub(crate) fn png(text: &str) -> Result<Vec<u8>, String> {
    let c = code(text)?;
    let w = c.width();
    let colors = c.to_colors();
    let side = (w + 2 * QUIET) * SCALE;
    let mut raw = Vec::with_capacity(side * (side + 1));
    for y in 0..side {
        raw.push(0); // filter: none
        let my = (y / SCALE).checked_sub(QUIET).filter(|m| *m < w);
        for x in 0..side {
            let mx = (x / SCALE).checked_sub(QUIET).filter(|m| *m < w);
            let dark = match (mx, my) {
                (Some(mx), Some(my)) => colors[my * w + mx] == Color::Dark,
                _ => false,
            };
            raw.push(if dark { 0 } else { 255 });
        }
    }
    let mut z = ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&raw).map_err(|e| e.to_string())?;
    let idat = z.finish().map_err(|e| e.to_string())?;
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(side as u32).to_be_bytes());
    ihdr.extend_from_slice(&(side as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit, grayscale, deflate, no filter, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn png_is_well_formed_and_shows_the_code() {
        let text = "mpkit://launch?app=2021000000000001&target=wallet.sg";
        let p = png(text).expect("png");
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
        // Walk the chunks, checking each CRC.
        let mut i = 8;
        let mut idat = Vec::new();
        let mut kinds = Vec::new();
        while i < p.len() {
            let n = u32::from_be_bytes(p[i..i + 4].try_into().expect("len")) as usize;
            let kind = &p[i + 4..i + 8];
            let data = &p[i + 8..i + 8 + n];
            let crc = u32::from_be_bytes(p[i + 8 + n..i + 12 + n].try_into().expect("crc"));
            let mut h = crc32fast::Hasher::new();
            h.update(kind);
            h.update(data);
            assert_eq!(h.finalize(), crc);
            if kind == b"IDAT" {
                idat.extend_from_slice(data);
            }
            kinds.push(String::from_utf8_lossy(kind).into_owned());
            i += 12 + n;
        }
        assert_eq!(kinds, ["IHDR", "IDAT", "IEND"]);
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&idat[..])
            .read_to_end(&mut raw)
            .expect("inflate");
        let c = code(text).expect("code");
        let side = (c.width() + 2 * QUIET) * SCALE;
        assert_eq!(raw.len(), side * (side + 1));
        // The top-left finder pattern's corner module is dark; the quiet zone is light.
        let px = |x: usize, y: usize| raw[y * (side + 1) + 1 + x];
        assert_eq!(px(0, 0), 255);
        assert_eq!(px(QUIET * SCALE, QUIET * SCALE), 0);
        let s = svg(text).expect("svg");
        assert!(s.starts_with("<?xml") && s.contains("<svg"));
    }
}
