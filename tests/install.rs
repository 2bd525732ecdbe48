//! What a user installs beside the binary — shell completions and manual pages generated from the
//! same clap definitions as `--help` — and the README and `--help` saying the same things.

use std::process::{Command, Output};

fn culprit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_culprit")).args(args).env_remove("COLUMNS").output().expect("run culprit")
}

fn stdout(args: &[&str]) -> String {
    let out = culprit(args);
    assert!(out.status.success(), "culprit {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

const SUBCOMMANDS: [&str; 7] = ["explain", "logs", "probe", "cluster", "serve", "completions", "man"];

#[test]
fn the_man_page_is_roff_and_names_every_subcommand() {
    let page = stdout(&["man"]);
    assert!(page.starts_with(".ie \\n(.g .ds Aq") || page.contains(".TH culprit 1"), "{page}");
    assert!(page.contains(".TH culprit 1"), "{page}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "{section} missing:\n{page}");
    }
    for sub in SUBCOMMANDS {
        assert!(page.contains(&format!("culprit\\-{sub}(1)")), "SUBCOMMANDS lacks {sub}:\n{page}");
    }
    assert!(!page.contains("culprit\\-help"), "no page for clap's help subcommand");
    // groff reads it without a warning (-k: UTF-8 input, as man-db passes it), where groff is
    // installed.
    if let Ok(out) = Command::new("groff")
        .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(page.as_bytes())?;
            child.wait_with_output()
        })
    {
        assert!(out.status.success() && out.stderr.is_empty(), "groff: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn man_dir_writes_a_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = culprit(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut pages: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "culprit-cluster-check.1",
            "culprit-cluster-route.1",
            "culprit-cluster.1",
            "culprit-completions.1",
            "culprit-explain.1",
            "culprit-logs.1",
            "culprit-man.1",
            "culprit-probe.1",
            "culprit-rules.1",
            "culprit-serve.1",
            "culprit-watch.1",
            "culprit.1",
        ]
    );
    let logs = std::fs::read_to_string(dir.path().join("culprit-logs.1")).unwrap();
    assert!(logs.contains("\\-\\-since") && logs.contains("\\-\\-cluster"), "{logs}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote 12 pages"));
}

#[test]
fn completions_for_every_shell_the_readme_names() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout(&["completions", shell]);
        assert!(script.contains("culprit") && script.contains("since"), "{shell}:\n{script}");
        assert!(readme().contains(&format!("culprit completions {shell}")), "README says where {shell}'s go");
    }
}

#[test]
fn the_readme_says_how_a_user_installs_and_updates() {
    let readme = readme();
    let install = &readme[readme.find("## Install").expect("an Install section")..];
    for text in ["cargo install --locked --path .", "culprit man --dir ~/.local/share/man/man1", "To update"] {
        assert!(install.contains(text), "Install section lacks `{text}`");
    }
}

#[test]
fn the_dump_command_is_the_same_in_the_readme_the_help_and_the_messages() {
    let readme = readme();
    for args in [&["logs", "--help"][..], &["cluster", "check", "--help"], &["cluster", "route", "--help"]] {
        let help = stdout(args);
        for line in culprit_cluster::DUMP_COMMAND.lines() {
            assert!(help.contains(line), "culprit {args:?} lacks `{line}`:\n{help}");
            assert!(readme.contains(line), "README lacks `{line}`");
        }
    }
    // `logs --cluster` reads the same dump: its help does not ask for pods alone any more.
    let help = stdout(&["logs", "--help"]);
    assert!(!help.contains("kubectl get pods -A"), "{help}");
    assert!(!readme.contains("kubectl get pods,services,endpointslices,deployments,events"), "one dump command");
}

#[test]
fn every_help_fits_100_columns() {
    let mut commands: Vec<Vec<&str>> = vec![vec!["--help"]];
    for sub in SUBCOMMANDS {
        commands.push(vec![sub, "--help"]);
    }
    commands.push(vec!["cluster", "route", "--help"]);
    commands.push(vec!["cluster", "check", "--help"]);
    for args in commands {
        let help = stdout(&args);
        for line in help.lines() {
            let width = textwrap::core::display_width(line);
            assert!(width <= 100, "culprit {args:?}: a line of {width} columns:\n{line}");
        }
    }
}
