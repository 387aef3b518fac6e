// The engine's connection path inside VS Code: the certificate service (phase 1 trust, phase 2 validators,
// cache, rejection log) behind gated agents, configured from the settings and kept current as they change:
// managedDownloads.extraCaFiles and validatorTimeLimit, and VS Code's own proxy settings (http.proxy, ...),
// which the engine must honour itself because its requests bypass VS Code's proxy support on purpose.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JobSnapshot } from '../../core/model/job';
import { Disposable, toDisposable } from '../../core/lifecycle';
import { GatedConnectionProvider } from '../../core/net/connection-provider';
import type { ProxySettings } from '../../core/net/proxy-settings';
import { CertificateService } from '../../core/tls/service';
import type { Logger } from '../log';
import { onSettingsChanged, SettingKeys, settings } from '../settings';

const PROXY_KEYS = ['http.proxy', 'http.noProxy', 'http.proxyStrictSSL', 'http.proxyAuthorization'];

export function proxySettings(): ProxySettings {
  const http = vscode.workspace.getConfiguration('http');
  const proxy = http.get<string>('proxy')?.trim();
  const noProxy = http.get<string[]>('noProxy');
  const authorization = http.get<string | null>('proxyAuthorization');
  return {
    ...(proxy ? { proxy } : {}),
    ...(Array.isArray(noProxy) && noProxy.length ? { noProxy } : {}),
    strictSSL: http.get<boolean>('proxyStrictSSL', true) !== false,
    ...(authorization ? { authorization } : {}),
  };
}

/** Extra CA files, relative ones resolved against the first workspace folder. */
function extraCaFiles(): string[] {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return settings.extraCaFiles().map((f) => (path.isAbsolute(f) || !folder ? f : path.join(folder, f)));
}

export class Connections extends Disposable {
  readonly service: CertificateService;
  readonly provider: GatedConnectionProvider;

  /**
   * @param rejectionLogFile where rejections are kept across restarts
   * @param jobLookup the engine's freshest job snapshot (set once the engine is open)
   */
  constructor(
    rejectionLogFile: string,
    jobLookup: (jobId: string) => JobSnapshot | undefined,
    private readonly log: Logger,
  ) {
    super();
    this.service = new CertificateService({
      trust: { extraCaFiles: extraCaFiles() },
      rejectionLog: { file: rejectionLogFile },
      validatorTimeLimitMs: settings.validatorTimeLimitMs(),
    });
    // Registered first, so it is released last: after the listeners that use it.
    this._register(toDisposable(() => void this.service.dispose()));
    this.provider = new GatedConnectionProvider(this.service, { proxy: proxySettings(), jobLookup });
    this.reportTrustProblems();
    this._register(
      onSettingsChanged([SettingKeys.extraCaFiles, SettingKeys.validatorTimeLimit], (changed) => {
        if (changed.includes(SettingKeys.extraCaFiles)) {
          this.service.setTrustOptions({ extraCaFiles: extraCaFiles() });
          this.log.info(`extra CA files now: ${extraCaFiles().join(', ') || 'none'}`);
          this.reportTrustProblems();
        }
        if (changed.includes(SettingKeys.validatorTimeLimit)) this.service.setValidatorTimeLimit(settings.validatorTimeLimitMs());
      }),
    );
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!PROXY_KEYS.some((k) => e.affectsConfiguration(k))) return;
        this.provider.setProxySettings(proxySettings());
        this.log.info('proxy settings changed; pooled connections closed');
      }),
    );
  }

  private reportTrustProblems(): void {
    // Building the trust store reads the CA files: do it now so a wrong path shows in the log at once.
    this.service.trust();
    for (const problem of this.service.trustProblems) this.log.warn(problem);
  }
}
