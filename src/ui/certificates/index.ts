// Certificate validation inside VS Code, in one folder. The gate itself is src/core/tls (phase 1, phase 2's
// service) and the workspace validator src/validator (no vscode import); the commands are
// src/ui/commands/certificates.ts and validatorAuthoring.ts. The parts here:
// - connections.ts     the connection path: the certificate service behind gated agents, kept in step with the
//                      settings (extra CA files, validator time limit, VS Code's proxy settings);
// - connectionHost.ts  opens that path once, when first needed, with the workspace validator's binding;
// - certificateUi.ts   what the rest of the UI asks of it: the service, and reloading the workspace validator;
// - validatorBinding.ts  the workspace validator in VS Code: follows its setting and workspace trust, shows its
//                      compile errors as diagnostics (loaded with the connection path, not from here);
// - wiring.ts          connects it to the tree, the rejections document and the API once the engine is open;
// - rejectionsDocument.ts  the "Show Certificate Rejections" document, following the rejection log;
// - rejectionsMarkdown.ts  its text (pure, no vscode import).
// The composition root imports from here; modules inside src/ui import the part they need, so that the pure
// ones stay loadable without vscode.
export type { CertificateUi } from './certificateUi';
export { ConnectionHost, type OpenConnections } from './connectionHost';
export { Connections, proxySettings } from './connections';
export { REJECTIONS_SCHEME, RejectionsDocumentProvider } from './rejectionsDocument';
export { endpointSummaries, rejectionsMarkdown } from './rejectionsMarkdown';
export { certificateUi, followCertificates, forwardApiValidators } from './wiring';
