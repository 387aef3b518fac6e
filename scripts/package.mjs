// `npm run package`: a production build packaged into a platform-specific .vsix.
// usage: node scripts/package.mjs [--target linux-x64|linux-arm64|linux-armhf|alpine-x64|alpine-arm64|darwin-x64|darwin-arm64|win32-x64|win32-arm64] [--out FILE]
import { parseArgs } from 'node:util';
import { relative, sep } from 'node:path';
import { defaultTarget, describeSize, packageVsix } from './lib/vsix.mjs';

const { values } = parseArgs({ options: { target: { type: 'string', default: defaultTarget }, out: { type: 'string' } } });
try {
  const { vsix, bytes, files, log } = packageVsix({ target: values.target, outFile: values.out });
  console.log(log.trim());
  const shown = vsix.startsWith(process.cwd() + sep) ? relative(process.cwd(), vsix) : vsix;
  console.log(`\n${shown}: ${describeSize(bytes)} (${bytes} bytes${files ? `, ${files} files` : ''}), target ${values.target}`);
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
