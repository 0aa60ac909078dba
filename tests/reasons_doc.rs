//! `docs/reasons.md` is generated from the signal catalogue, so a weight, a floor
//! or a message can never drift from what the code decides with. This test fails
//! when the file is out of date; `UPDATE_DOCS=1 cargo test --test reasons_doc`
//! rewrites it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::fmt::Write as _;

use actionguard::signals::{CATALOGUE, POLICY_REASONS};

fn render() -> String {
    let mut out = String::from(
        "# Reasons: every signal, its weight and floor, and every policy reason\n\n\
         <!-- Generated from src/signals.rs by tests/reasons_doc.rs: do not edit by hand.\n     \
         `UPDATE_DOCS=1 cargo test --test reasons_doc` rewrites it. -->\n\n\
         Each signal is one piece of evidence a decision cites by its code in `reasons` and in the\n\
         audit record. Its weight is the strength of that evidence alone, in [0, 1]; within a group\n\
         the strongest signal counts, and groups combine by noisy-OR (see [policy.md](policy.md)).\n\
         A floor is the least a login gets whatever its score. Sign-up screening reads weights only:\n\
         it refuses when the combined evidence reaches `signup.deny_score`.\n\n\
         | code | group | weight | floor | decisions | message |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    for (signal, used_by) in CATALOGUE {
        let floor = signal.floor.map_or("-", |f| f.as_str());
        writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            signal.code,
            signal.group,
            signal.weight,
            floor,
            used_by.join(", "),
            signal.message
        )
        .unwrap();
    }
    out.push_str(
        "\n## Policy reasons\n\n\
         What a rule of the policy, or of the decision itself, did: no weight, cited by code.\n\
         `<...>` marks the figures a decision writes into the sentence. A refused sign-up's\n\
         person sees the last column; the first refusal in this table's order wins.\n\n\
         | code | decisions | message | what the person signing up is told |\n\
         | --- | --- | --- | --- |\n",
    );
    for (reason, used_by) in POLICY_REASONS {
        writeln!(out, "| `{}` | {} | {} | {} |", reason.code, used_by.join(", "), reason.message, reason.user_message.unwrap_or("-"))
            .unwrap();
    }
    out
}

#[test]
fn reasons_doc_is_generated_from_the_catalogue() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reasons.md");
    let want = render();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/reasons.md is out of date with src/signals.rs: run `UPDATE_DOCS=1 cargo test --test reasons_doc`");
}
