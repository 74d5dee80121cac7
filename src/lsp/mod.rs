//! `ddf lsp`: a Language Server Protocol server over stdio, so any editor shows `ddf check`'s
//! findings as the records are typed, and goes to, finds, explains and completes record ids.
//!
//! One thread answers the editor; there is no async runtime. Notifications that arrive
//! together (a burst of keystrokes) are applied before the DDF is analysed once, and findings
//! are published for every file whose findings changed, not only the edited one.

pub mod features;
pub mod text;
pub mod workspace;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, GotoDefinition, HoverRequest, References,
    Rename, Request as _, WorkspaceSymbolRequest,
};
use lsp_types::{
    CompletionOptions, DocumentSymbolResponse, GotoDefinitionResponse, HoverProviderCapability,
    InitializeParams, OneOf, PublishDiagnosticsParams, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, Uri, WorkspaceSymbolResponse,
};
use std::path::PathBuf;
pub use workspace::{HistoryParts, Workspace};

/// Why the server stopped.
#[derive(Debug, thiserror::Error)]
pub enum LspError {
    /// The client broke the protocol or went away.
    #[error("language server protocol: {0}")]
    Protocol(String),
    /// The DDF could not be loaded.
    #[error(transparent)]
    Load(#[from] crate::corpus::LoadError),
}

impl From<lsp_server::ProtocolError> for LspError {
    fn from(e: lsp_server::ProtocolError) -> Self {
        LspError::Protocol(e.to_string())
    }
}

/// Sends one message to the client.
fn send(connection: &Connection, msg: Message) -> Result<(), LspError> {
    connection
        .sender
        .send(msg)
        .map_err(|e| LspError::Protocol(format!("the client went away: {e}")))
}

/// What the server offers.
fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(lsp_types::CodeActionProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![" ".into(), "[".into(), ",".into(), "-".into()]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The DDF root the client opened: its workspace folder or root URI, else `fallback`, with
/// `ddf.yaml` found upward from there.
fn root_of(params: &InitializeParams, fallback: PathBuf) -> PathBuf {
    #[allow(deprecated)] // root_uri: clients that send no workspace folders still send it.
    let from_client = params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .map(|f| f.uri.clone())
        .or_else(|| params.root_uri.clone())
        .and_then(|u| text::path_of(&u));
    let start = from_client.unwrap_or(fallback);
    crate::source::find_root(&start).unwrap_or(start)
}

/// Serves one client on `connection` until it shuts down. `fallback_root`: the folder to look
/// for `ddf.yaml` from when the client names none; `history`: the history of the DDF at a root,
/// with the approvals judged against its corpus, loaded once by the caller, so no edit ever
/// walks Git history.
pub fn serve(
    connection: &Connection,
    fallback_root: PathBuf,
    history: impl FnOnce(&std::path::Path, &crate::corpus::Corpus) -> Option<HistoryParts>,
) -> Result<(), LspError> {
    let caps =
        serde_json::to_value(capabilities()).map_err(|e| LspError::Protocol(e.to_string()))?;
    let params = connection.initialize(caps)?;
    let params: InitializeParams =
        serde_json::from_value(params).map_err(|e| LspError::Protocol(e.to_string()))?;
    let root = root_of(&params, fallback_root);
    let root = root.canonicalize().unwrap_or(root);
    let mut ws = Workspace::load(&root, |corpus| history(&root, corpus))?;
    let mut published = std::collections::BTreeSet::new();
    publish(
        connection,
        &ws,
        ws.findings.keys().cloned().collect(),
        &mut published,
    )?;
    loop {
        let Ok(msg) = connection.receiver.recv() else {
            return Ok(());
        };
        if handle(connection, &mut ws, msg)? {
            return Ok(());
        }
        // Apply whatever else has arrived before analysing once.
        while let Ok(msg) = connection.receiver.try_recv() {
            if handle(connection, &mut ws, msg)? {
                return Ok(());
            }
        }
        // Requests may have analysed already (they answer from an up-to-date corpus).
        ws.analyse()?;
        let touched = ws.take_unpublished();
        publish(connection, &ws, touched, &mut published)?;
    }
}

/// Publishes the findings of `paths` (an empty list clears a file that had findings).
fn publish(
    connection: &Connection,
    ws: &Workspace,
    paths: std::collections::BTreeSet<String>,
    published: &mut std::collections::BTreeSet<String>,
) -> Result<(), LspError> {
    for path in paths {
        let findings = workspace::findings_for(ws, &path);
        if findings.is_empty() && !published.contains(&path) {
            continue;
        }
        let Some(uri) = text::uri_of(&ws.root.join(&path)) else {
            continue;
        };
        let text = ws.text(&path).unwrap_or_default();
        let diagnostics = features::diagnostics(&text, &findings);
        if diagnostics.is_empty() {
            published.remove(&path);
        } else {
            published.insert(path);
        }
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        };
        send(
            connection,
            Message::Notification(Notification::new(PublishDiagnostics::METHOD.into(), params)),
        )?;
    }
    Ok(())
}

/// Handles one message; `true` when the client asked to shut down.
fn handle(connection: &Connection, ws: &mut Workspace, msg: Message) -> Result<bool, LspError> {
    match msg {
        Message::Request(req) => {
            if connection.handle_shutdown(&req)? {
                return Ok(true);
            }
            let resp = answer(ws, req);
            send(connection, Message::Response(resp))?;
        }
        Message::Notification(n) => notify(ws, n),
        Message::Response(_) => {}
    }
    Ok(false)
}

/// The path of a document relative to the DDF root, if ddf serves it.
fn served(ws: &Workspace, uri: &Uri) -> Option<String> {
    let path = text::path_of(uri)?;
    let rel = ws.relative(&path).or_else(|| {
        // The editor may name the file through a link to the root.
        ws.relative(&path.canonicalize().ok()?)
    })?;
    ws.serves(&rel).then_some(rel)
}

fn notify(ws: &mut Workspace, n: Notification) {
    match n.method.as_str() {
        DidOpenTextDocument::METHOD => {
            if let Ok(p) =
                n.extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
            {
                if let Some(rel) = served(ws, &p.text_document.uri) {
                    ws.set(&rel, Some(p.text_document.text));
                }
            }
        }
        DidChangeTextDocument::METHOD => {
            if let Ok(p) =
                n.extract::<lsp_types::DidChangeTextDocumentParams>(DidChangeTextDocument::METHOD)
            {
                // Full sync: the last change holds the whole text.
                if let (Some(rel), Some(change)) = (
                    served(ws, &p.text_document.uri),
                    p.content_changes.into_iter().last(),
                ) {
                    ws.set(&rel, Some(change.text));
                }
            }
        }
        DidCloseTextDocument::METHOD => {
            if let Ok(p) =
                n.extract::<lsp_types::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
            {
                if let Some(rel) = served(ws, &p.text_document.uri) {
                    ws.set(&rel, None);
                }
            }
        }
        DidSaveTextDocument::METHOD => {}
        DidChangeWatchedFiles::METHOD => {
            if let Ok(p) =
                n.extract::<lsp_types::DidChangeWatchedFilesParams>(DidChangeWatchedFiles::METHOD)
            {
                for change in p.changes {
                    if let Some(rel) = served(ws, &change.uri) {
                        if !ws.open.contains_key(&rel) {
                            ws.changed(&rel);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

fn ok<T: serde::Serialize>(id: RequestId, v: T) -> Response {
    Response::new_ok(id, v)
}

/// Answers one request.
fn answer(ws: &mut Workspace, req: Request) -> Response {
    // Answers read the corpus: bring it up to date with the buffers first.
    if let Err(e) = ws.analyse() {
        return Response::new_err(req.id, ErrorCode::InternalError as i32, e.to_string());
    }
    let id = req.id.clone();
    let bad = |e: lsp_server::ExtractError<Request>| {
        Response::new_err(
            id.clone(),
            ErrorCode::InvalidParams as i32,
            format!("{e:?}"),
        )
    };
    match req.method.as_str() {
        GotoDefinition::METHOD => {
            match req.extract::<lsp_types::GotoDefinitionParams>(GotoDefinition::METHOD) {
                Ok((id, p)) => {
                    let tdp = p.text_document_position_params;
                    let loc = served(ws, &tdp.text_document.uri)
                        .and_then(|rel| features::id_at(ws, &rel, tdp.position))
                        .and_then(|target| features::record_location(ws, &target));
                    ok(id, loc.map(GotoDefinitionResponse::Scalar))
                }
                Err(e) => bad(e),
            }
        }
        References::METHOD => match req.extract::<lsp_types::ReferenceParams>(References::METHOD) {
            Ok((id, p)) => {
                let tdp = p.text_document_position;
                let found = served(ws, &tdp.text_document.uri)
                    .and_then(|rel| features::id_at(ws, &rel, tdp.position))
                    .map(|target| features::references(ws, &target, p.context.include_declaration));
                ok(id, found)
            }
            Err(e) => bad(e),
        },
        HoverRequest::METHOD => match req.extract::<lsp_types::HoverParams>(HoverRequest::METHOD) {
            Ok((id, p)) => {
                let tdp = p.text_document_position_params;
                let h = served(ws, &tdp.text_document.uri)
                    .and_then(|rel| features::id_at(ws, &rel, tdp.position))
                    .and_then(|target| features::hover(ws, &target));
                ok(id, h)
            }
            Err(e) => bad(e),
        },
        DocumentSymbolRequest::METHOD => {
            match req.extract::<lsp_types::DocumentSymbolParams>(DocumentSymbolRequest::METHOD) {
                Ok((id, p)) => {
                    let symbols = served(ws, &p.text_document.uri)
                        .map(|rel| features::document_symbols(ws, &rel))
                        .unwrap_or_default();
                    ok(id, DocumentSymbolResponse::Flat(symbols))
                }
                Err(e) => bad(e),
            }
        }
        WorkspaceSymbolRequest::METHOD => {
            match req.extract::<lsp_types::WorkspaceSymbolParams>(WorkspaceSymbolRequest::METHOD) {
                Ok((id, p)) => ok(
                    id,
                    WorkspaceSymbolResponse::Flat(features::workspace_symbols(ws, &p.query)),
                ),
                Err(e) => bad(e),
            }
        }
        Completion::METHOD => {
            match req.extract::<lsp_types::CompletionParams>(Completion::METHOD) {
                Ok((id, p)) => {
                    let tdp = p.text_document_position;
                    let items = served(ws, &tdp.text_document.uri)
                        .map(|rel| features::completion(ws, &rel, tdp.position))
                        .unwrap_or_default();
                    ok(id, items)
                }
                Err(e) => bad(e),
            }
        }
        Rename::METHOD => match req.extract::<lsp_types::RenameParams>(Rename::METHOD) {
            Ok((id, p)) => {
                let tdp = p.text_document_position;
                match served(ws, &tdp.text_document.uri)
                    .map(|rel| features::rename(ws, &rel, tdp.position, &p.new_name))
                {
                    Some(Err(why)) => {
                        Response::new_err(id, lsp_server::ErrorCode::RequestFailed as i32, why)
                    }
                    Some(Ok(edit)) => ok(id, edit),
                    None => ok(id, Option::<lsp_types::WorkspaceEdit>::None),
                }
            }
            Err(e) => bad(e),
        },
        CodeActionRequest::METHOD => {
            match req.extract::<lsp_types::CodeActionParams>(CodeActionRequest::METHOD) {
                Ok((id, p)) => {
                    let actions = served(ws, &p.text_document.uri)
                        .map(|rel| {
                            features::code_actions(
                                ws,
                                &rel,
                                &p.text_document.uri,
                                &p.context.diagnostics,
                            )
                        })
                        .unwrap_or_default();
                    ok(id, actions)
                }
                Err(e) => bad(e),
            }
        }
        _ => Response::new_err(
            req.id,
            ErrorCode::MethodNotFound as i32,
            format!("ddf lsp does not answer `{}`", req.method),
        ),
    }
}
