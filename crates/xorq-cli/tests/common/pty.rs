//! An interactive session of the real binary on a pseudo-terminal (`script` gives it one):
//! keys are written to it, and what it draws goes through a terminal emulator (vt100), so a
//! test reads the screen a user would see, for the tests of `xorq catalog tui`. Waits are for what the program draws, with a generous deadline that
//! only a hung program reaches (the test then fails with the screen so far).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a wait may last before the program is taken as hung.
const DEADLINE: Duration = Duration::from_secs(60);

/// A running program on a pseudo-terminal of `cols` × `rows`.
pub struct Pty {
    child: Child,
    keys: Option<ChildStdin>,
    terminal: Arc<Mutex<Terminal>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

/// What the program wrote, as bytes and as the screen they draw.
struct Terminal {
    bytes: Vec<u8>,
    screen: vt100::Parser,
}

impl Pty {
    /// Starts `command` (its program and arguments; its environment and directory are kept)
    /// on a terminal of `cols` × `rows`.
    pub fn spawn(command: &Command, cols: u16, rows: u16) -> Pty {
        let mut line = format!("stty cols {cols} rows {rows}; exec");
        for part in std::iter::once(command.get_program()).chain(command.get_args()) {
            line.push(' ');
            line.push_str(&shell_quote(&part.to_string_lossy()));
        }
        let mut script = Command::new("script");
        script.args(["-qec", &line, "/dev/null"]);
        if let Some(dir) = command.get_current_dir() {
            script.current_dir(dir);
        }
        for (key, value) in command.get_envs() {
            match value {
                Some(v) => script.env(key, v),
                None => script.env_remove(key),
            };
        }
        script.env("TERM", "xterm-256color").env("LANG", "C.UTF-8");
        let mut child =
            script.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("script runs");
        let keys = child.stdin.take();
        let mut out = child.stdout.take().expect("piped stdout");
        let terminal = Arc::new(Mutex::new(Terminal { bytes: Vec::new(), screen: vt100::Parser::new(rows, cols, 0) }));
        let sink = Arc::clone(&terminal);
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut t = sink.lock().expect("terminal lock");
                t.bytes.extend_from_slice(&buf[..n]);
                t.screen.process(&buf[..n]);
            }
        });
        Pty { child, keys, terminal, reader: Some(reader) }
    }

    /// The screen as it is now, row by row.
    pub fn screen(&self) -> String {
        self.terminal.lock().expect("terminal lock").screen.screen().contents()
    }

    /// Everything the program wrote, escape sequences included.
    pub fn raw(&self) -> String {
        String::from_utf8_lossy(&self.terminal.lock().expect("terminal lock").bytes).into_owned()
    }

    /// Waits until the screen shows `needle`.
    pub fn wait_for(&mut self, needle: &str) -> String {
        self.wait_until(needle, |screen| screen.contains(needle))
    }

    /// Waits until the screen no longer shows `needle`.
    pub fn wait_gone(&mut self, needle: &str) -> String {
        self.wait_until(&format!("no {needle}"), |screen| !screen.contains(needle))
    }

    fn wait_until(&mut self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the program ended ({status}) before the screen showed {what:?}; the screen:\n{screen}");
            }
            assert!(start.elapsed() < DEADLINE, "the screen did not show {what:?} within {DEADLINE:?}:\n{screen}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `keys` (bytes as a terminal sends them: `\t` Tab, `\x1b[B` Down, `\x03` Ctrl+C).
    pub fn send(&mut self, keys: &str) {
        let stdin = self.keys.as_mut().expect("the terminal is open");
        stdin.write_all(keys.as_bytes()).expect("keys written");
        stdin.flush().expect("keys flushed");
    }

    /// Waits for the program to end, and for everything it wrote to be read; its exit code.
    pub fn wait(&mut self) -> i32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                drop(self.keys.take());
                if let Some(reader) = self.reader.take() {
                    let _ = reader.join();
                }
                return status.code().unwrap_or(-1);
            }
            if start.elapsed() > DEADLINE {
                let _ = self.child.kill();
                panic!("the program did not end within {DEADLINE:?}; the screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}
