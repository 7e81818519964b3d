//! The bundled catalog's stand-in for preview audio: a 30-second WAV (8 kHz, 16-bit,
//! mono) of short notes whose pitches derive from the track id, so every track sounds
//! different and the same every time. Any byte of the file can be computed on its own,
//! so a range is rendered without producing the rest.

use bytes::Bytes;
use futures::{StreamExt, stream::BoxStream};

const SAMPLE_RATE: u32 = 8_000;
const SECONDS: u32 = 30;
const SAMPLES: u64 = (SAMPLE_RATE * SECONDS) as u64;
const HEADER_LEN: u64 = 44;
/// Samples per note: a quarter of a second.
const NOTE_LEN: u64 = SAMPLE_RATE as u64 / 4;
/// Samples faded in and out at each note's edges, so notes do not click.
const FADE: u64 = 200;
/// A major pentatonic scale over two octaves from A3, in Hz.
const SCALE: [f64; 10] = [
    220.0, 247.5, 278.4, 330.0, 371.3, 440.0, 495.0, 556.9, 660.0, 742.5,
];
/// Bytes per chunk of the stream.
const CHUNK: u64 = 16 * 1024;

pub const CONTENT_TYPE: &str = "audio/wav";

/// Length of every generated preview, in bytes.
pub const LEN: u64 = HEADER_LEN + SAMPLES * 2;

/// The canonical 44-byte header of a PCM WAV file.
fn header() -> [u8; HEADER_LEN as usize] {
    let data_len = (SAMPLES * 2) as u32;
    let mut h = [0u8; HEADER_LEN as usize];
    let mut put = |at: usize, bytes: &[u8]| h[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, b"RIFF");
    put(4, &(36 + data_len).to_le_bytes());
    put(8, b"WAVEfmt ");
    put(16, &16u32.to_le_bytes());
    put(20, &1u16.to_le_bytes()); // PCM
    put(22, &1u16.to_le_bytes()); // mono
    put(24, &SAMPLE_RATE.to_le_bytes());
    put(28, &(SAMPLE_RATE * 2).to_le_bytes()); // bytes per second
    put(32, &2u16.to_le_bytes()); // bytes per frame
    put(34, &16u16.to_le_bytes()); // bits per sample
    put(36, b"data");
    put(40, &data_len.to_le_bytes());
    h
}

/// SplitMix64: a small, well-mixed hash, so neighbouring ids get unrelated melodies.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn sample(track: u64, n: u64) -> i16 {
    let note = n / NOTE_LEN;
    let pitch = SCALE[(mix(track ^ mix(note)) % SCALE.len() as u64) as usize];
    let within = n % NOTE_LEN;
    let edge = within.min(NOTE_LEN - 1 - within);
    let envelope = (edge as f64 / FADE as f64).min(1.0);
    let t = n as f64 / f64::from(SAMPLE_RATE);
    let value = (2.0 * std::f64::consts::PI * pitch * t).sin() * envelope * 0.3;
    (value * f64::from(i16::MAX)) as i16
}

/// Bytes `start..=end` of the track's preview.
fn render(track: u64, start: u64, end: u64) -> Vec<u8> {
    let header = header();
    (start..=end)
        .map(|offset| match offset.checked_sub(HEADER_LEN) {
            None => header[offset as usize],
            Some(data) => sample(track, data / 2).to_le_bytes()[(data % 2) as usize],
        })
        .collect()
}

/// Bytes `start..=end` (within `LEN`) of the track's preview, rendered chunk by chunk
/// as the client reads.
pub fn stream(track: u64, start: u64, end: u64) -> BoxStream<'static, std::io::Result<Bytes>> {
    futures::stream::iter((start..=end).step_by(CHUNK as usize))
        .map(move |from| {
            Ok(Bytes::from(render(
                track,
                from,
                (from + CHUNK - 1).min(end),
            )))
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;

    use super::*;

    async fn collect(track: u64, start: u64, end: u64) -> Vec<u8> {
        stream(track, start, end)
            .map_ok(|chunk| chunk.to_vec())
            .try_concat()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_whole_file_is_a_valid_wav() {
        let wav = collect(7, 0, LEN - 1).await;
        assert_eq!(wav.len() as u64, LEN);
        assert_eq!(&wav[0..4], b"RIFF");
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        assert_eq!(
            u32::from_le_bytes(wav[4..8].try_into().unwrap()) as u64,
            LEN - 8
        );
        assert_eq!(
            u32::from_le_bytes(wav[40..44].try_into().unwrap()) as u64,
            LEN - 44
        );
        assert!(wav[44..].iter().any(|b| *b != 0), "not silent");
    }

    #[tokio::test]
    async fn ranges_are_slices_of_the_whole() {
        let whole = collect(3135556, 0, LEN - 1).await;
        for (start, end) in [(0, 0), (40, 47), (1000, 70_000), (LEN - 10, LEN - 1)] {
            assert_eq!(
                collect(3135556, start, end).await,
                whole[start as usize..=end as usize].to_vec(),
                "{start}-{end}"
            );
        }
    }

    #[tokio::test]
    async fn previews_are_deterministic_and_differ_per_track() {
        let a = collect(1, 0, 20_000).await;
        assert_eq!(a, collect(1, 0, 20_000).await);
        assert_ne!(a, collect(2, 0, 20_000).await);
    }
}
