// Watches a set of files (the validator and everything it imports) and reports changes, debounced.
// Directories are watched, not the files: editors save by writing a new file and renaming it over the old
// one, which ends a watch on the file itself. A folder that does not exist yet is polled.
import { existsSync, watch, watchFile, unwatchFile, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export class FileSetWatcher {
  private readonly dirWatchers = new Map<string, FSWatcher>();
  private readonly polled = new Set<string>();
  private files = new Set<string>();
  private timer?: NodeJS.Timeout;
  private readonly changed = new Set<string>();

  constructor(
    private readonly onChange: (files: string[]) => void,
    private readonly debounceMs = 100,
  ) {}

  /** Replaces the watched set. */
  watch(files: readonly string[]): void {
    this.files = new Set(files);
    const dirs = new Set(files.map((f) => dirname(f)));
    for (const [dir, w] of this.dirWatchers) {
      if (!dirs.has(dir)) {
        w.close();
        this.dirWatchers.delete(dir);
      }
    }
    for (const file of this.polled) {
      if (!this.files.has(file)) {
        unwatchFile(file);
        this.polled.delete(file);
      }
    }
    for (const dir of dirs) {
      if (this.dirWatchers.has(dir)) continue;
      if (existsSync(dir)) {
        try {
          const w = watch(dir, { persistent: false }, (_event, name) => {
            const hit = name
              ? [...this.files].filter((f) => dirname(f) === dir && basename(f) === name.toString())
              : [...this.files].filter((f) => dirname(f) === dir);
            for (const f of hit) this.note(f);
          });
          w.on('error', () => undefined);
          this.dirWatchers.set(dir, w);
          continue;
        } catch {
          // fall through to polling
        }
      }
      for (const f of this.files) {
        if (dirname(f) !== dir || this.polled.has(f)) continue;
        this.polled.add(f);
        watchFile(f, { interval: 1000, persistent: false }, () => this.note(f));
      }
    }
  }

  private note(file: string): void {
    this.changed.add(file);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const files = [...this.changed];
      this.changed.clear();
      this.onChange(files);
    }, this.debounceMs);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const w of this.dirWatchers.values()) w.close();
    this.dirWatchers.clear();
    for (const f of this.polled) unwatchFile(f);
    this.polled.clear();
  }
}
