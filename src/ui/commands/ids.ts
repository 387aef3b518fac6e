// Command ids in one place: package.json contributes exactly these, and activation registers exactly these.
export const CommandIds = {
  newDownload: 'managedDownloads.newDownload',
  newJob: 'managedDownloads.newJob',
  addFile: 'managedDownloads.addFile',
  resume: 'managedDownloads.resume',
  suspend: 'managedDownloads.suspend',
  cancel: 'managedDownloads.cancel',
  complete: 'managedDownloads.complete',
  retryNow: 'managedDownloads.retryNow',
  setPriority: 'managedDownloads.setPriority',
  showJobDetails: 'managedDownloads.showJobDetails',
  showLog: 'managedDownloads.showLog',
  revealFile: 'managedDownloads.revealFile',
  copyUrl: 'managedDownloads.copyUrl',
  clearFinished: 'managedDownloads.clearFinished',
  openValidator: 'managedDownloads.openCertificateValidator',
  reloadValidator: 'managedDownloads.reloadCertificateValidator',
  clearCertificateCache: 'managedDownloads.clearCertificateCache',
  showCertificateRejections: 'managedDownloads.showCertificateRejections',
  setWriteOnlyHeader: 'managedDownloads.setWriteOnlyHeader',
  setClientCertificate: 'managedDownloads.setClientCertificate',
  createValidator: 'managedDownloads.createCertificateValidator',
  testValidator: 'managedDownloads.testCertificateValidator',
  jobOptions: 'managedDownloads.jobOptions',
} as const;

export type CommandId = (typeof CommandIds)[keyof typeof CommandIds];
