//! `regshift server`: a language server (LSP 3.17 over stdio) on the same engine as `check`.
//!
//! One thread runs the protocol: open documents are checked from their buffers (never from
//! disk), diagnostics are pushed on open, save and (debounced) change, and code actions and
//! hovers are answered from the last check of the buffer, brought up to date first. The
//! server never writes a file; its fixes are edits the editor applies.
//!
//! Crates: `lsp-server` (rust-analyzer's, synchronous: a loop over a channel of messages, like
//! the rest of regshift, no async runtime) for messages and `lsp-types` for the protocol's
//! types. The stdio transport is our own ([`transport`]) so that a malformed message gets an
//! error instead of ending the connection.

mod actions;
mod diagnostics;
mod documents;
mod position;
mod transport;
mod uri;
mod workspace;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    ClientCapabilities, CodeActionKind, CodeActionOptions, CodeActionParams,
    CodeActionProviderCapability, DidChangeTextDocumentParams,
    DidChangeWatchedFilesRegistrationOptions, DidChangeWorkspaceFoldersParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DidSaveTextDocumentParams,
    FileSystemWatcher, GlobPattern, HoverParams, HoverProviderCapability, InitializeParams,
    MessageType, PositionEncodingKind, PublishDiagnosticsParams, Registration, RegistrationParams,
    SaveOptions, ServerCapabilities, ServerInfo, ShowMessageParams, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
    WorkspaceFoldersServerCapabilities, WorkspaceServerCapabilities,
};
use serde::de::DeserializeOwned;

use documents::Documents;
use position::Encoding;
use workspace::Skipped;

/// How long after the last change a buffer is checked: a fast typist's keystrokes make one
/// check, not one each. `REGSHIFT_SERVER_DEBOUNCE_MS` overrides it (the benchmark sets 0 to
/// time the check alone).
const DEBOUNCE: Duration = Duration::from_millis(50);

/// Run the server on standard input and output until `exit`. The exit code is 0 when
/// `shutdown` came first, 1 otherwise (LSP's rule).
pub fn run() -> std::io::Result<u8> {
    let (connection, threads) = transport::stdio();
    let code = match Server::initialize(connection) {
        Some(mut server) => server.serve(),
        None => 1,
    };
    threads.join()?;
    Ok(code)
}

struct Server {
    connection: Connection,
    encoding: Encoding,
    documents: Documents,
    /// Whether the client registers file watchers at our request.
    watch_configs: bool,
    debounce: Duration,
    shutdown: bool,
    next_request: i32,
    /// The configuration problem last shown to the user.
    config_error: Option<String>,
}

impl Server {
    /// The `initialize` handshake: `None` when the client left before it was done.
    fn initialize(connection: Connection) -> Option<Server> {
        loop {
            match connection.receiver.recv().ok()? {
                Message::Request(request) if request.method == "initialize" => {
                    match serde_json::from_value::<InitializeParams>(request.params) {
                        Ok(params) => {
                            let server = Server::new(connection, &params);
                            let result = serde_json::json!({
                                "capabilities": server.capabilities(),
                                "serverInfo": ServerInfo {
                                    name: "regshift".to_string(),
                                    version: Some(env!("CARGO_PKG_VERSION").to_string()),
                                },
                            });
                            server.respond(Response::new_ok(request.id, result));
                            return Some(server);
                        }
                        Err(error) => {
                            let response = invalid_params(request.id, &error);
                            connection.sender.send(response.into()).ok()?;
                        }
                    }
                }
                Message::Request(request) => {
                    let response = Response::new_err(
                        request.id,
                        ErrorCode::ServerNotInitialized as i32,
                        "the server is not initialized yet".to_string(),
                    );
                    connection.sender.send(response.into()).ok()?;
                }
                Message::Notification(notification) if notification.method == "exit" => {
                    return None;
                }
                Message::Notification(_) | Message::Response(_) => {}
            }
        }
    }

    fn new(connection: Connection, params: &InitializeParams) -> Server {
        let capabilities = &params.capabilities;
        let mut documents = Documents::default();
        documents.set_folders(workspace_folders(params));
        Server {
            connection,
            encoding: negotiate_encoding(capabilities),
            documents,
            watch_configs: capabilities
                .workspace
                .as_ref()
                .and_then(|workspace| workspace.did_change_watched_files)
                .and_then(|watched| watched.dynamic_registration)
                .unwrap_or(false),
            debounce: std::env::var("REGSHIFT_SERVER_DEBOUNCE_MS")
                .ok()
                .and_then(|text| text.parse().ok())
                .map_or(DEBOUNCE, Duration::from_millis),
            shutdown: false,
            next_request: 0,
            config_error: None,
        }
    }

    fn capabilities(&self) -> ServerCapabilities {
        ServerCapabilities {
            position_encoding: Some(match self.encoding {
                Encoding::Utf8 => PositionEncodingKind::UTF8,
                Encoding::Utf16 => PositionEncodingKind::UTF16,
            }),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::FULL),
                    save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                        include_text: Some(false),
                    })),
                    ..TextDocumentSyncOptions::default()
                },
            )),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![
                    CodeActionKind::QUICKFIX,
                    CodeActionKind::from(actions::FIX_ALL),
                ]),
                ..CodeActionOptions::default()
            })),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            workspace: Some(WorkspaceServerCapabilities {
                workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                    supported: Some(true),
                    change_notifications: Some(lsp_types::OneOf::Left(true)),
                }),
                file_operations: None,
            }),
            ..ServerCapabilities::default()
        }
    }

    /// The main loop: messages, and checks of changed buffers when their debounce ends.
    fn serve(&mut self) -> u8 {
        loop {
            let received = match self.documents.next_due() {
                Some(due) => self
                    .connection
                    .receiver
                    .recv_timeout(due.saturating_duration_since(Instant::now())),
                None => self
                    .connection
                    .receiver
                    .recv()
                    .map_err(|_| RecvTimeoutError::Disconnected),
            };
            match received {
                Ok(Message::Request(request)) => self.handle_request(request),
                Ok(Message::Notification(notification)) if notification.method == "exit" => {
                    return if self.shutdown { 0 } else { 1 };
                }
                Ok(Message::Notification(notification)) => self.handle_notification(notification),
                // Answers to our own requests (watcher registration): nothing to do.
                Ok(Message::Response(_)) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return if self.shutdown { 0 } else { 1 },
            }
            for uri in self.documents.take_due(Instant::now()) {
                self.check_and_publish(&uri);
            }
        }
    }

    fn handle_request(&mut self, request: Request) {
        if self.shutdown {
            let response = Response::new_err(
                request.id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".to_string(),
            );
            return self.respond(response);
        }
        let id = request.id.clone();
        let response = match request.method.as_str() {
            "shutdown" => {
                self.shutdown = true;
                Response::new_ok(id, serde_json::Value::Null)
            }
            "textDocument/codeAction" => match parse::<CodeActionParams>(&request) {
                Ok(params) => Response::new_ok(id, self.code_actions(&params)),
                Err(error) => invalid_params(id, &error),
            },
            "textDocument/hover" => match parse::<HoverParams>(&request) {
                Ok(params) => Response::new_ok(id, self.hover(&params)),
                Err(error) => invalid_params(id, &error),
            },
            method => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("regshift does not handle {method}"),
            ),
        };
        self.respond(response);
    }

    fn handle_notification(&mut self, notification: Notification) {
        let method = notification.method.clone();
        let result = match method.as_str() {
            "initialized" => {
                self.register_config_watchers();
                Ok(())
            }
            "textDocument/didOpen" => {
                parse_notification::<DidOpenTextDocumentParams>(notification.params).map(|params| {
                    let document = params.text_document;
                    self.documents.open(
                        document.uri.clone(),
                        document.version,
                        &document.language_id,
                        document.text,
                    );
                    self.check_and_publish(&document.uri);
                })
            }
            "textDocument/didChange" => parse_notification::<DidChangeTextDocumentParams>(
                notification.params,
            )
            .map(|params| {
                let due = Instant::now() + self.debounce;
                self.documents.change(&params, self.encoding, due);
            }),
            "textDocument/didSave" => {
                parse_notification::<DidSaveTextDocumentParams>(notification.params).map(|params| {
                    let uri = params.text_document.uri;
                    if let Some(text) = params.text {
                        self.documents.replace_text(&uri, text);
                    }
                    // A configuration saved from the editor: for clients without watchers.
                    if is_config_file(&uri) {
                        self.reload();
                    } else {
                        self.check_and_publish(&uri);
                    }
                })
            }
            "textDocument/didClose" => parse_notification::<DidCloseTextDocumentParams>(
                notification.params,
            )
            .map(|params| {
                let uri = params.text_document.uri;
                self.documents.close(&uri);
                self.publish(uri, Vec::new(), None);
            }),
            "workspace/didChangeWatchedFiles" | "workspace/didChangeConfiguration" => {
                self.reload();
                Ok(())
            }
            "workspace/didChangeWorkspaceFolders" => parse_notification::<
                DidChangeWorkspaceFoldersParams,
            >(notification.params)
            .map(|params| {
                self.documents.change_folders(&params);
                self.reload();
            }),
            // `$/cancelRequest`, `$/setTrace`, ...: requests are answered at once anyway.
            _ => Ok(()),
        };
        if let Err(error) = result {
            // A notification has no answer: tell the user instead of failing in silence.
            self.show_message(
                MessageType::ERROR,
                format!("regshift: ignored a malformed {method} notification: {error}"),
            );
        }
    }

    /// Configuration changed: every open document is checked again with what is on disk now.
    fn reload(&mut self) {
        self.documents.reload();
        for uri in self.documents.uris() {
            self.check_and_publish(&uri);
        }
    }

    /// Check the document's buffer now and publish its diagnostics.
    fn check_and_publish(&mut self, uri: &Uri) {
        let Some(document) = self.documents.check(uri) else {
            return;
        };
        let version = Some(document.version);
        let (diagnostics, config_error) = match &document.analysis {
            Ok(analysis) => (diagnostics::diagnostics(analysis, self.encoding), None),
            Err(Skipped::Config(message)) => (Vec::new(), Some(message.clone())),
            Err(Skipped::Excluded | Skipped::NotText) => (Vec::new(), None),
        };
        self.publish(uri.clone(), diagnostics, version);
        // Once per problem, not once per keystroke.
        if config_error.is_some() && config_error != self.config_error {
            let message = config_error.clone().unwrap_or_default();
            self.show_message(MessageType::ERROR, format!("regshift: {message}"));
        }
        self.config_error = config_error;
    }

    fn code_actions(&mut self, params: &CodeActionParams) -> Vec<lsp_types::CodeActionOrCommand> {
        let uri = &params.text_document.uri;
        self.bring_up_to_date(uri);
        let Some(Ok(analysis)) = self.documents.analysis(uri) else {
            return Vec::new();
        };
        let request = actions::Request {
            uri,
            range: params.range,
            only: params.context.only.as_deref(),
        };
        actions::code_actions(analysis, &request, self.encoding)
    }

    fn hover(&mut self, params: &HoverParams) -> Option<lsp_types::Hover> {
        let uri = &params.text_document_position_params.text_document.uri;
        self.bring_up_to_date(uri);
        let Some(Ok(analysis)) = self.documents.analysis(uri) else {
            return None;
        };
        let position = params.text_document_position_params.position;
        diagnostics::hover(analysis, position, self.encoding)
    }

    /// A request about a buffer whose check is still waiting for its debounce: check it now,
    /// so that the answer's ranges are those of the buffer the editor holds.
    fn bring_up_to_date(&mut self, uri: &Uri) {
        if self.documents.is_due(uri) {
            self.check_and_publish(uri);
        }
    }

    fn register_config_watchers(&mut self) {
        if !self.watch_configs {
            return;
        }
        let watchers = ["**/regshift.toml", "**/.regshift.toml"]
            .into_iter()
            .map(|glob| FileSystemWatcher {
                glob_pattern: GlobPattern::String(glob.to_string()),
                kind: None,
            })
            .collect();
        let options = DidChangeWatchedFilesRegistrationOptions { watchers };
        let params = RegistrationParams {
            registrations: vec![Registration {
                id: "regshift-config-watcher".to_string(),
                method: "workspace/didChangeWatchedFiles".to_string(),
                register_options: serde_json::to_value(options).ok(),
            }],
        };
        self.next_request += 1;
        let request = Request::new(
            RequestId::from(format!("regshift-{}", self.next_request)),
            "client/registerCapability".to_string(),
            params,
        );
        self.send(request.into());
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(Notification::new("textDocument/publishDiagnostics".to_string(), params).into());
    }

    fn show_message(&self, typ: MessageType, message: String) {
        let params = ShowMessageParams { typ, message };
        self.send(Notification::new("window/showMessage".to_string(), params).into());
    }

    fn respond(&self, response: Response) {
        self.send(response.into());
    }

    fn send(&self, message: Message) {
        // The writer thread is gone only when the client closed its end; the loop ends when
        // the reader sees that too.
        let _ = self.connection.sender.send(message);
    }
}

fn is_config_file(uri: &Uri) -> bool {
    let name = uri.as_str().rsplit('/').next().unwrap_or_default();
    crate::config::CONFIG_FILE_NAMES.contains(&name)
}

fn parse<T: DeserializeOwned>(request: &Request) -> Result<T, serde_json::Error> {
    serde_json::from_value(request.params.clone())
}

fn parse_notification<T: DeserializeOwned>(
    params: serde_json::Value,
) -> Result<T, serde_json::Error> {
    serde_json::from_value(params)
}

fn invalid_params(id: RequestId, error: &serde_json::Error) -> Response {
    Response::new_err(
        id,
        ErrorCode::InvalidParams as i32,
        format!("invalid parameters: {error}"),
    )
}

/// UTF-8 when the client offers it (no conversion, and what the engine counts), else UTF-16,
/// the protocol's default that every client supports.
fn negotiate_encoding(capabilities: &ClientCapabilities) -> Encoding {
    let offers_utf8 = capabilities
        .general
        .as_ref()
        .and_then(|general| general.position_encodings.as_ref())
        .is_some_and(|encodings| encodings.contains(&PositionEncodingKind::UTF8));
    if offers_utf8 {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    }
}

/// The workspace folders, or the deprecated root URI of older clients.
fn workspace_folders(params: &InitializeParams) -> Vec<PathBuf> {
    if let Some(folders) = &params.workspace_folders {
        return folders
            .iter()
            .filter_map(|folder| uri::file_path(folder.uri.as_str()))
            .collect();
    }
    #[allow(deprecated)]
    let root = params.root_uri.as_ref();
    root.and_then(|root| uri::file_path(root.as_str()))
        .into_iter()
        .collect()
}
