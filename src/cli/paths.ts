// Where the CLI keeps its job store when --store is not given: a per-user state folder, per platform.
import * as os from 'node:os';
import * as path from 'node:path';

export function defaultStoreDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'managed-downloads');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'managed-downloads');
  return path.join(env.XDG_STATE_HOME || path.join(home, '.local', 'state'), 'managed-downloads');
}
