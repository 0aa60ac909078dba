//! `cargo bench --bench analyze -- <file.ndjson> [--chunk-lines N]`: the core's
//! `logs analyze` path natively (no WebAssembly, no JavaScript), for reference
//! next to scripts/bench-logs' figures. The file is read whole, cut into bodies
//! of N lines (5,000, as the CLI does), and each pass is timed over all of them:
//! - `parse`: `logs::parse_lines` alone (reading each line into a `LogEvent`);
//! - `value`: `serde_json::from_str::<Value>` of each line (a generic JSON parse,
//!   the baseline a reader of the same lines pays without reading any field);
//! - `analyze`: `parse_lines` and `Analyzer::feed_batch`, then `finish`.
//!
//! `--only parse|value|analyze` runs one pass (for a profiler); `--only feed` times the
//! analyzer alone over bodies read beforehand. Prints one JSON object. Not a test: no
//! figure is asserted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Instant;

use actionguard::detect::{Analyzer, DetectConfig};
use actionguard::logs;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let file = args.iter().find(|a| !a.starts_with("--")).expect("usage: analyze <file.ndjson> [--chunk-lines N]");
    let chunk_lines = args
        .iter()
        .position(|a| a == "--chunk-lines")
        .and_then(|i| args.get(i + 1))
        .map_or(5_000, |n| n.parse::<usize>().expect("--chunk-lines N"));
    let text = std::fs::read_to_string(file).expect("the file");
    let mut bodies = Vec::new();
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let mut cut = rest.len();
        let mut seen = 0;
        for (i, b) in rest.bytes().enumerate() {
            if b == b'\n' {
                seen += 1;
                if seen == chunk_lines {
                    cut = i + 1;
                    break;
                }
            }
        }
        bodies.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    let lines: usize = text.lines().filter(|l| !l.trim().is_empty()).count();
    // `--only parse|value|analyze`: one pass (for a profiler).
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).cloned();
    let run = |pass: &str| only.as_deref().map_or(true, |o| o == pass);

    let t = Instant::now();
    let mut events = 0usize;
    for body in bodies.iter().filter(|_| run("parse")) {
        events += logs::parse_lines(body).events.len();
    }
    let parse_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut values = 0usize;
    for line in text.lines().filter(|_| run("value")) {
        if serde_json::from_str::<serde_json::Value>(line.trim()).is_ok() {
            values += 1;
        }
    }
    let value_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut analyzer = Analyzer::new(DetectConfig::default());
    for body in bodies.iter().filter(|_| run("analyze")) {
        analyzer.feed_batch(&logs::parse_lines(body));
    }
    let analysis = analyzer.finish();
    let analyze_s = t.elapsed().as_secs_f64();

    // `--only feed`: the analyzer alone, the bodies read beforehand (not timed).
    let feed_s = if only.as_deref() == Some("feed") {
        let batches: Vec<_> = bodies.iter().map(|b| logs::parse_lines(b)).collect();
        let t = Instant::now();
        let mut analyzer = Analyzer::new(DetectConfig::default());
        for batch in &batches {
            analyzer.feed_batch(batch);
        }
        let analysis = analyzer.finish();
        eprintln!("feed alone: {} events, {} alerts", analysis.events, analysis.alerts.len());
        Some(t.elapsed().as_secs_f64())
    } else {
        None
    };
    let per_s = |s: f64| (lines as f64 / s).round();
    let out = serde_json::json!({
        "lines": lines,
        "bytes": text.len(),
        "events": analysis.events,
        "parsed_events": events,
        "json_values": values,
        "alerts": analysis.alerts.len(),
        "parse_events_per_s": per_s(parse_s),
        "value_events_per_s": per_s(value_s),
        "analyze_events_per_s": per_s(analyze_s),
        "ratio_analyze_to_value": ((value_s / analyze_s) * 100.0).round() / 100.0,
        "ratio_parse_to_value": ((value_s / parse_s) * 100.0).round() / 100.0,
        "feed_events_per_s": feed_s.map(per_s),
    });
    println!("{out}");
}
