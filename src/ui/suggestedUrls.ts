// Reads what New Download may offer (the active editor's selection or the URL under its cursor, the
// clipboard) and asks urlSuggestion which of it counts. The clipboard is read only when the editor offers
// nothing, and never in a browser: there reading it needs a permission the page rarely has, and VS Code
// shows an error each time it is refused. A clipboard that does not answer soon counts as empty.
import * as vscode from 'vscode';
import { suggestUrls, type UrlSuggestion } from './urlSuggestion';

const CLIPBOARD_WAIT_MS = 1000;

async function clipboardText(): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(''), CLIPBOARD_WAIT_MS)));
  try {
    return await Promise.race([Promise.resolve(vscode.env.clipboard.readText()).catch(() => ''), late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function currentUrlSuggestion(): Promise<UrlSuggestion | undefined> {
  const editor = vscode.window.activeTextEditor;
  const selection = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
  const line = editor
    ? { text: editor.document.lineAt(editor.selection.active.line).text, cursor: editor.selection.active.character }
    : undefined;
  const fromEditor = suggestUrls({ selection, line });
  if (fromEditor || vscode.env.uiKind === vscode.UIKind.Web) return fromEditor;
  return suggestUrls({ clipboard: await clipboardText() });
}

/** The input box's prompt for a suggestion, saying where the URLs came from. */
export function suggestionPrompt(suggestion: UrlSuggestion): string {
  switch (suggestion.from) {
    case 'selection':
      return vscode.l10n.t('From the selected text: press Enter to download, or type other URLs');
    case 'editor':
      return vscode.l10n.t('From the URL under the cursor: press Enter to download, or type another URL');
    case 'clipboard':
      return vscode.l10n.t('From the clipboard: press Enter to download, or type other URLs');
  }
}
