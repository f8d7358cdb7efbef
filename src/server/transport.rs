//! LSP's base protocol over standard input and output: `Content-Length` framed JSON-RPC.
//!
//! lsp-server's own stdio transport ends the connection on the first message that is not
//! valid JSON-RPC. An editor server must not die of one bad message, so this reader answers
//! such a message with a JSON-RPC error (`ParseError`, or `InvalidRequest` with the message's
//! id when it has one) and reads on. Only a broken frame (no `Content-Length`, a header that
//! is not one) ends the connection, since nothing after it can be found again.

use std::io::{self, BufRead, Write};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use lsp_server::{Connection, ErrorCode, Message, RequestId};

/// The threads behind a [`Connection`]; join them after the main loop ends.
pub struct IoThreads {
    reader: JoinHandle<io::Result<()>>,
    writer: JoinHandle<io::Result<()>>,
}

impl IoThreads {
    pub fn join(self) -> io::Result<()> {
        let reader = self
            .reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the reader thread panicked")));
        let writer = self
            .writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")));
        reader.and(writer)
    }
}

/// A connection over this process's standard input and output.
pub fn stdio() -> (Connection, IoThreads) {
    let output: Arc<Mutex<Box<dyn Write + Send>>> = Arc::new(Mutex::new(Box::new(io::stdout())));
    let input = io::BufReader::new(io::stdin());
    connect(input, output)
}

/// A connection reading `input` and writing to `output`: [`stdio`], or buffers in tests.
pub fn connect(
    input: impl BufRead + Send + 'static,
    output: Arc<Mutex<Box<dyn Write + Send>>>,
) -> (Connection, IoThreads) {
    let (to_writer, from_server) = unbounded::<Message>();
    let (to_server, from_reader) = bounded::<Message>(64);
    let writer_output = output.clone();
    let writer = thread::Builder::new()
        .name("lsp-writer".into())
        .spawn(move || write_loop(&from_server, &writer_output))
        .expect("spawning the LSP writer thread");
    let reader = thread::Builder::new()
        .name("lsp-reader".into())
        .spawn(move || read_loop(input, &to_server, &output))
        .expect("spawning the LSP reader thread");
    (
        Connection {
            sender: to_writer,
            receiver: from_reader,
        },
        IoThreads { reader, writer },
    )
}

fn write_loop(
    messages: &Receiver<Message>,
    output: &Mutex<Box<dyn Write + Send>>,
) -> io::Result<()> {
    for message in messages {
        let mut output = output
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        message.write(&mut *output)?;
    }
    Ok(())
}

fn read_loop(
    mut input: impl BufRead,
    to_server: &Sender<Message>,
    output: &Mutex<Box<dyn Write + Send>>,
) -> io::Result<()> {
    while let Some(body) = read_frame(&mut input)? {
        match serde_json::from_slice::<Message>(&body) {
            Ok(message) => {
                let is_exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if to_server.send(message).is_err() || is_exit {
                    return Ok(());
                }
            }
            Err(error) => {
                let mut output = output
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                write_raw(&mut *output, &rejection(&body, &error))?;
            }
        }
    }
    Ok(())
}

/// The error response to a message that is not JSON-RPC: with its id when it has one (a
/// request whose shape is wrong), else with a null id (not JSON at all).
fn rejection(body: &[u8], error: &serde_json::Error) -> String {
    let value = serde_json::from_slice::<serde_json::Value>(body).ok();
    let id = value
        .as_ref()
        .and_then(|value| value.get("id"))
        .filter(|id| serde_json::from_value::<RequestId>((*id).clone()).is_ok())
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let (code, what) = if value.is_some() {
        (ErrorCode::InvalidRequest, "not a valid JSON-RPC message")
    } else {
        (ErrorCode::ParseError, "not valid JSON")
    };
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code as i32, "message": format!("{what}: {error}") },
    })
    .to_string()
}

fn write_raw(output: &mut dyn Write, text: &str) -> io::Result<()> {
    write!(output, "Content-Length: {}\r\n\r\n{text}", text.len())?;
    output.flush()
}

/// The body of the next frame; `None` at the end of the input.
fn read_frame(input: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut length: Option<usize> = None;
    let mut headers = 0;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return if headers == 0 {
                Ok(None)
            } else {
                Err(broken("the input ended inside a header"))
            };
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            match (headers, length) {
                // A stray blank line between messages.
                (0, _) => continue,
                (_, Some(_)) => break,
                (_, None) => return Err(broken("a message without a Content-Length header")),
            }
        }
        headers += 1;
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| broken("a header line without a colon"))?;
        if name.trim().eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .trim()
                    .parse()
                    .map_err(|_| broken("a Content-Length that is not a number"))?,
            );
        }
    }
    let length = length.unwrap_or_default();
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(Some(body))
}

fn broken(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("LSP framing: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn bad_messages_get_errors_and_the_stream_goes_on() {
        let input = [
            frame("{not json"),
            frame(r#"{"id": 7, "params": {}}"#),
            frame(r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#),
        ]
        .concat();
        let written: Arc<Mutex<Vec<u8>>> = Arc::default();
        struct Shared(Arc<Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let output: Arc<Mutex<Box<dyn Write + Send>>> =
            Arc::new(Mutex::new(Box::new(Shared(written.clone()))));
        let (connection, threads) = connect(io::Cursor::new(input.into_bytes()), output);
        let message = connection.receiver.recv().expect("the shutdown request");
        assert!(matches!(message, Message::Request(request) if request.method == "shutdown"));
        drop(connection);
        threads.join().expect("clean threads");
        let text = String::from_utf8(written.lock().unwrap().clone()).unwrap();
        assert!(text.contains(r#""code":-32700"#), "{text}");
        assert!(
            text.contains(r#""id":7"#) && text.contains(r#""code":-32600"#),
            "{text}"
        );
    }
}
