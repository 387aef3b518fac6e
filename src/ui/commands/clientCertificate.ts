// "Set Client Certificate...": a job's client certificate (BITS SetClientCertificate) for servers that require
// one. Interactively: PEM or PKCS#12, the file(s), whether the job reads the file at each run or keeps a copy in
// VS Code's secret storage, and the passphrase (in a password box, kept in the secret storage) when it needs one.
// Called with (job, options) by other code: options as the API's ClientCertificateOptions, null to remove it.
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import { BitsError, Codes } from '../../core/errors';
import type { ClientCertificateSpec, JobSnapshot } from '../../core/model/job';
import { loadClientCertificate, type ClientCertificateSecret } from '../../core/tls/client-certificate';
import { applyClientCertificate, specFromApiOptions, type ClientCertificateSecrets } from '../clientCertificateSecrets';
import { jobIdsFromArgs, pickJob, requireJob } from '../pickers';
import type { CommandContext, CommandDefinition } from './context';
import { CommandIds } from './ids';
import { UserCancelled } from './runner';

const title = () => vscode.l10n.t('Set Client Certificate');

interface Choice<T> extends vscode.QuickPickItem {
  value: T;
}

async function choose<T>(items: Choice<T>[], placeHolder: string): Promise<T> {
  const picked = await vscode.window.showQuickPick(items, { title: title(), placeHolder, ignoreFocusOut: true });
  if (!picked) throw new UserCancelled();
  return picked.value;
}

async function openFile(title: string, filters: Record<string, string[]>): Promise<string> {
  const picked = await vscode.window.showOpenDialog({
    title,
    canSelectMany: false,
    canSelectFiles: true,
    canSelectFolders: false,
    filters,
    openLabel: vscode.l10n.t('Use'),
  });
  if (!picked?.[0]) throw new UserCancelled();
  return picked[0].fsPath;
}

/** The certificate the user chooses, as a spec and its secret (the passphrase, or the data when kept as a secret). */
async function askCertificate(): Promise<{ spec: ClientCertificateSpec; secret: ClientCertificateSecret }> {
  const format = await choose<'pem' | 'pkcs12'>(
    [
      {
        label: vscode.l10n.t('$(file) PEM certificate'),
        description: vscode.l10n.t('.pem, .crt: with its key in the same file or in a key file'),
        value: 'pem',
      },
      {
        label: vscode.l10n.t('$(file-binary) PKCS#12'),
        description: vscode.l10n.t('.pfx, .p12: certificate and key in one file'),
        value: 'pkcs12',
      },
    ],
    vscode.l10n.t('Which kind of certificate file?'),
  );
  let files: Pick<ClientCertificateSpec, 'certFile' | 'keyFile' | 'pfxFile'>;
  if (format === 'pem') {
    const certFile = await openFile(vscode.l10n.t('The client certificate (PEM)'), {
      [vscode.l10n.t('PEM certificate')]: ['pem', 'crt', 'cer'],
      [vscode.l10n.t('All files')]: ['*'],
    });
    const text = await fs.readFile(certFile, 'utf8').catch(() => '');
    const keyInside = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/.test(text);
    files = keyInside
      ? { certFile }
      : {
          certFile,
          keyFile: await openFile(vscode.l10n.t('The private key of this certificate (PEM)'), {
            [vscode.l10n.t('PEM key')]: ['key', 'pem'],
            [vscode.l10n.t('All files')]: ['*'],
          }),
        };
  } else {
    files = {
      pfxFile: await openFile(vscode.l10n.t('The client certificate (PKCS#12)'), {
        'PKCS#12': ['pfx', 'p12'],
        [vscode.l10n.t('All files')]: ['*'],
      }),
    };
  }
  const source = await choose<'file' | 'secret'>(
    [
      {
        label: vscode.l10n.t('Read the file at each download'),
        description: vscode.l10n.t('the job records its path; the file must stay there'),
        value: 'file',
      },
      {
        label: vscode.l10n.t("Keep a copy in VS Code's secret storage"),
        description: vscode.l10n.t('the file is no longer needed'),
        value: 'secret',
      },
    ],
    vscode.l10n.t('Where should the job take the certificate from?'),
  );
  const fromFile: ClientCertificateSpec = { format, source: 'file', ...files, passphrase: false };
  const passphrase = await askPassphraseIfNeeded(fromFile);
  const withPassphrase = passphrase === undefined ? {} : { passphrase };
  if (source === 'file') return { spec: { ...fromFile, passphrase: passphrase !== undefined }, secret: withPassphrase };
  const secret: ClientCertificateSecret =
    format === 'pkcs12'
      ? { pfx: (await fs.readFile(files.pfxFile!)).toString('base64'), ...withPassphrase }
      : {
          cert: await fs.readFile(files.certFile!, 'utf8'),
          ...(files.keyFile ? { key: await fs.readFile(files.keyFile, 'utf8') } : {}),
          ...withPassphrase,
        };
  return { spec: { format, source: 'secret', passphrase: passphrase !== undefined }, secret };
}

/** Asks for the passphrase only when the certificate cannot be opened without one. */
async function askPassphraseIfNeeded(spec: ClientCertificateSpec): Promise<string | undefined> {
  try {
    await loadClientCertificate(spec, undefined);
    return undefined;
  } catch (err) {
    if (!(err instanceof BitsError) || err.code !== Codes.E_INVALID_PASSWORD) throw err;
  }
  const passphrase = await vscode.window.showInputBox({
    title: title(),
    prompt: vscode.l10n.t("The certificate's passphrase (kept in VS Code's secret storage, never in the job store or the log)"),
    password: true,
    ignoreFocusOut: true,
  });
  if (passphrase === undefined) throw new UserCancelled();
  return passphrase;
}

export function clientCertificateCommands(ctx: CommandContext, secrets: ClientCertificateSecrets): CommandDefinition[] {
  return [
    {
      id: CommandIds.setClientCertificate,
      handler: async (jobArg?: unknown, optionsArg?: unknown): Promise<JobSnapshot> => {
        const [id] = jobIdsFromArgs(jobArg);
        const job = id !== undefined ? requireJob(ctx.model, id) : await pickJob(ctx.model, 'setPriority', title());
        let chosen: { spec: ClientCertificateSpec; secret: ClientCertificateSecret } | undefined;
        if (optionsArg === null) chosen = undefined;
        else if (optionsArg !== undefined) chosen = specFromApiOptions(optionsArg);
        else if (job.clientCertificate) {
          const remove = await choose<boolean>(
            [
              {
                label: vscode.l10n.t('$(file) Choose another certificate'),
                description: vscode.l10n.t('now: {0}', job.clientCertificate.subject),
                value: false,
              },
              { label: vscode.l10n.t('$(trash) Remove the client certificate'), value: true },
            ],
            vscode.l10n.t('Job "{0}" presents {1}', job.displayName, job.clientCertificate.subject),
          );
          chosen = remove ? undefined : await askCertificate();
        } else chosen = await askCertificate();
        const updated = await applyClientCertificate(await ctx.engines.get(), secrets, job.id, chosen?.spec, chosen?.secret);
        const now = updated.clientCertificate;
        // The subject and thumbprint only: never the key, the data or the passphrase.
        ctx.log.info(
          now
            ? `job ${job.id} presents the client certificate ${now.subject} (SHA-1 ${now.sha1Thumbprint}) from the next connection`
            : `job ${job.id}: client certificate removed`,
        );
        if (optionsArg === undefined) {
          void vscode.window.showInformationMessage(
            now
              ? vscode.l10n.t('"{0}" presents the client certificate {1} from its next connection.', job.displayName, now.subject)
              : vscode.l10n.t('"{0}" no longer has a client certificate.', job.displayName),
          );
        }
        return updated;
      },
    },
  ];
}
