//! End-to-end checks of the real `xorq` binary.

use std::process::Command;

fn xorq(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xorq")).args(args).output().expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn version_names_the_hash_scheme() {
    let (code, stdout, _) = xorq(&["--version"]);
    assert_eq!(code, 0);
    assert_eq!(stdout, format!("xorq {} (hash scheme xorq-rs-blake3-v3)\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn hash_scheme_as_json() {
    let (code, stdout, _) = xorq(&["hash-scheme", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["hash_scheme"], "xorq-rs-blake3-v3");
    assert_eq!(v["display_length"], 12);
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, stderr) = xorq(&["no-such-command"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unrecognized subcommand"), "{stderr}");
}

#[test]
fn help_texts() {
    for command in
        [vec!["--help"], vec!["build", "--help"], vec!["run", "--help"], vec!["init", "--help"], vec!["sql", "--help"]]
    {
        let (code, stdout, _) = xorq(&command);
        assert_eq!(code, 0);
        insta::assert_snapshot!(format!("help_{}", command[0].trim_start_matches('-')), stdout);
    }
}
