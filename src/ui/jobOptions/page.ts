// The Job Options page's style and script, as text the page carries inline under its CSP nonce. The style uses
// VS Code's theme variables only, so the form follows every theme (high contrast included). The script collects
// the values, posts them, and shows what the extension answers; it decides nothing (the extension checks all).

export const FORM_STYLE = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); background: var(--vscode-editor-background); padding: 0 20px 24px; max-width: 860px; }
h1 { font-size: 1.5em; font-weight: 600; margin: 16px 0 4px; }
fieldset { border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border, transparent)); border-radius: 4px; margin: 14px 0; padding: 8px 14px 12px; }
legend { font-weight: 600; padding: 0 4px; }
.field { margin: 8px 0; }
.field > label { display: block; margin-bottom: 3px; }
input[type=text], input[type=password], textarea, select {
  box-sizing: border-box; width: 100%; font-family: inherit; font-size: inherit; padding: 4px 6px;
  color: var(--vscode-input-foreground); background: var(--vscode-input-background);
  border: 1px solid var(--vscode-input-border, var(--vscode-widget-border, transparent)); border-radius: 2px;
}
select { color: var(--vscode-dropdown-foreground); background: var(--vscode-dropdown-background); border-color: var(--vscode-dropdown-border, transparent); }
.mono, code, .header-name, .header-value { font-family: var(--vscode-editor-font-family); }
input:focus, textarea:focus, select:focus, button:focus, input[type=checkbox]:focus-visible, input[type=radio]:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
input[type=checkbox]:focus-visible, input[type=radio]:focus-visible { outline-offset: 1px; }
input[aria-invalid=true], textarea[aria-invalid=true] { border-color: var(--vscode-inputValidation-errorBorder); }
input:disabled, textarea:disabled, select:disabled { opacity: 0.6; }
.hint { color: var(--vscode-descriptionForeground); font-size: 0.92em; margin-top: 2px; }
.error { color: var(--vscode-errorForeground); font-size: 0.92em; }
.error:empty, .banner:empty { display: none; }
.banner { border: 1px solid var(--vscode-inputValidation-errorBorder); background: var(--vscode-inputValidation-errorBackground); padding: 6px 10px; margin: 8px 0; }
.check { display: grid; grid-template-columns: auto 1fr; column-gap: 6px; margin: 6px 0; align-items: baseline; }
.check .hint { grid-column: 2; margin-top: 0; }
.header-row { display: grid; grid-template-columns: 2fr 3fr auto auto; gap: 6px; align-items: center; margin: 6px 0; }
.header-row .error { grid-column: 1 / -1; }
label.inline { white-space: nowrap; }
button {
  font-family: inherit; font-size: inherit; padding: 4px 12px; border-radius: 2px; cursor: pointer;
  color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: 1px solid var(--vscode-button-border, transparent);
}
button:hover { background: var(--vscode-button-hoverBackground); }
button.secondary { color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); }
button.secondary:hover { background: var(--vscode-button-secondaryHoverBackground); }
button:disabled { opacity: 0.6; cursor: default; }
.actions { display: flex; gap: 8px; margin-top: 16px; }
`;

export const FORM_SCRIPT = `
(function () {
  const vscode = acquireVsCodeApi();
  const strings = JSON.parse(document.getElementById('strings').textContent);
  let view = JSON.parse(document.getElementById('view').textContent);
  const form = document.getElementById('form');
  const headers = document.getElementById('headers');
  const fmt = (s, ...args) => s.replace(/\\{(\\d+)\\}/g, (m, i) => String(args[Number(i)]));
  const byId = (id) => document.getElementById(id);

  function labelRows() {
    headers.querySelectorAll('.header-row').forEach((row, i) => {
      const n = i + 1;
      row.dataset.index = String(i);
      const set = (cls, key, suffix) => { const el = row.querySelector(cls); el.id = 'header-' + i + suffix; el.setAttribute('aria-label', fmt(strings[key], n)); };
      set('.header-name', 'headerName', '-name');
      set('.header-value', 'headerValue', '-value');
      set('.header-write-only', 'headerWriteOnly', '-write-only');
      row.querySelector('.header-remove').setAttribute('aria-label', fmt(strings.removeHeader, n));
      row.querySelector('.error').id = 'header-' + i + '-error';
      row.querySelectorAll('input').forEach((el) => el.setAttribute('aria-describedby', 'header-' + i + '-error'));
    });
  }

  function addRow() {
    const row = document.createElement('div');
    row.className = 'header-row';
    const name = document.createElement('input'); name.type = 'text'; name.className = 'header-name'; name.placeholder = 'X-Header'; name.spellcheck = false;
    const value = document.createElement('input'); value.type = 'text'; value.className = 'header-value'; value.spellcheck = false; value.autocomplete = 'off';
    const label = document.createElement('label'); label.className = 'inline';
    const wo = document.createElement('input'); wo.type = 'checkbox'; wo.className = 'header-write-only';
    label.append(wo, ' ' + strings.writeOnly);
    const remove = document.createElement('button'); remove.type = 'button'; remove.className = 'secondary header-remove'; remove.textContent = strings.remove;
    const error = document.createElement('div'); error.className = 'error'; error.setAttribute('role', 'alert');
    row.append(name, value, label, remove, error);
    headers.append(row);
    labelRows();
    name.focus();
  }

  headers.addEventListener('click', (e) => {
    const button = e.target.closest('.header-remove');
    if (!button) return;
    const row = button.closest('.header-row');
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    labelRows();
    (next ? next.querySelector('.header-name') : byId('add-header')).focus();
  });
  headers.addEventListener('change', (e) => {
    if (!e.target.classList.contains('header-write-only')) return;
    e.target.closest('.header-row').querySelector('.header-value').type = e.target.checked ? 'password' : 'text';
  });
  byId('add-header').addEventListener('click', addRow);
  byId('cancel').addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));
  byId('choose-certificate').addEventListener('click', () => vscode.postMessage({ type: 'chooseClientCertificate' }));
  byId('remove-certificate').addEventListener('click', () => vscode.postMessage({ type: 'removeClientCertificate' }));

  function values() {
    return {
      displayName: byId('displayName').value,
      description: byId('description').value,
      priority: byId('priority').value,
      sslFlags: Array.from(document.querySelectorAll('input[name=sslFlags]:checked')).map((el) => el.value),
      redirectPolicy: (document.querySelector('input[name=redirectPolicy]:checked') || { value: 'ALLOW_SILENT' }).value,
      allowHttpsToHttp: byId('allowHttpsToHttp').checked,
      minimumRetryDelay: byId('minimumRetryDelay').value,
      noProgressTimeout: byId('noProgressTimeout').value,
      checksums: Array.from(document.querySelectorAll('input.checksum')).map((el) => el.value),
      headers: Array.from(headers.querySelectorAll('.header-row')).map((row) => {
        const h = { name: row.querySelector('.header-name').value, value: row.querySelector('.header-value').value, writeOnly: row.querySelector('.header-write-only').checked };
        if (row.dataset.storedName !== undefined) h.storedName = row.dataset.storedName;
        return h;
      }),
    };
  }

  function showErrors(errors) {
    document.querySelectorAll('.error, .banner').forEach((el) => { el.textContent = ''; });
    document.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
    let first;
    for (const [id, message] of Object.entries(errors)) {
      const box = byId(id + '-error');
      (box || byId('form-error')).textContent = message;
      const control = byId(id) || byId(id + '-name');
      if (control) { control.setAttribute('aria-invalid', 'true'); first = first || control; }
    }
    if (Object.keys(errors).length && !errors.form) byId('form-error').textContent = strings.errorsBelow;
    if (first) first.focus();
    else if (Object.keys(errors).length) byId('form-error').scrollIntoView();
  }

  function applyView(next) {
    view = next;
    byId('certificate').textContent = view.clientCertificate
      ? fmt(strings.certificate, view.clientCertificate.subject, view.clientCertificate.sha1Thumbprint, view.clientCertificate.notAfter)
      : strings.noCertificate;
    byId('remove-certificate').hidden = !view.clientCertificate;
    byId('save-start').hidden = !view.startable;
    byId('save').classList.toggle('secondary', view.startable);
    document.querySelectorAll('input.checksum').forEach((el, i) => { if (view.fileLocked[i]) el.disabled = true; });
    if (!view.editable) {
      form.querySelectorAll('input, textarea, select, button').forEach((el) => { if (el.id !== 'cancel') el.disabled = true; });
      byId('form-error').textContent = fmt(strings.finished, view.state);
    }
  }

  // A message goes once the person changes what it was about; the next Save checks everything again.
  form.addEventListener('input', (e) => {
    const row = e.target.closest('.header-row');
    const key = row ? 'header-' + row.dataset.index : e.target.id;
    const box = byId(key + '-error');
    if (box) box.textContent = '';
    (row ? row.querySelectorAll('input') : [e.target]).forEach((el) => el.removeAttribute('aria-invalid'));
    const open = Array.from(document.querySelectorAll('.error')).some((el) => el.textContent);
    if (!open && byId('form-error').textContent === strings.errorsBelow) byId('form-error').textContent = '';
  });

  // Enter in a field submits as Save; Save and Start also resumes the job once its options are applied.
  function submit(start) {
    byId('save').disabled = true;
    byId('save-start').disabled = true;
    vscode.postMessage({ type: 'save', values: values(), start });
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(false);
  });
  byId('save-start').addEventListener('click', () => submit(true));

  window.addEventListener('message', (e) => {
    const msg = e.data;
    if (msg.type === 'errors') {
      byId('save').disabled = !view.editable;
      byId('save-start').disabled = !view.editable;
      showErrors(msg.errors);
    }
    else if (msg.type === 'view') applyView(msg.view);
  });

  applyView(view);
  byId('displayName').focus();
})();
`;
