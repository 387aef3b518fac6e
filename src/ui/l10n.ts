// Localized text for the UI modules that do not import vscode (pure, unit-tested in plain Node): `t` has
// vscode.l10n.t's signature and placeholders ({0}, {1}), and activation points it at vscode.l10n.t. Until
// then (and in unit tests) it formats the English text. scripts/l10n-bundle.mjs collects both kinds of call
// into l10n/bundle.l10n.json.
export type Translate = (message: string, ...args: Array<string | number | boolean>) => string;

const english: Translate = (message, ...args) =>
  message.replace(/\{(\d+)\}/g, (whole, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : whole));

let translate: Translate = english;

export function useTranslator(translator: Translate): void {
  translate = translator;
}

export function t(message: string, ...args: Array<string | number | boolean>): string {
  return translate(message, ...args);
}
